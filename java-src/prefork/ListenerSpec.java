package prefork;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * One address a server listens on, and so one pool of workers: TCP or UDP on an IP and port, or a Unix domain
 * stream socket at a path. Written and parsed as {@code tcp://127.0.0.1:7000}, {@code udp://[::1]:7000},
 * {@code unix:/run/app.sock}.
 *
 * @param protocol "tcp", "udp" or "unix"
 * @param host the address to bind (null for unix); 0.0.0.0 or :: binds all
 * @param port the port, 0 for any free one (0 for unix)
 * @param path the socket file (unix only, else null)
 */
public record ListenerSpec(String protocol, InetAddress host, int port, String path) {
    /** Throws IllegalArgumentException naming the bad part. */
    public ListenerSpec {
        switch (protocol) {
            case "tcp", "udp" -> {
                if (host == null) {
                    throw new IllegalArgumentException("a " + protocol + " listener needs an address");
                }
                PoolBounds.requireRange("port", port, 0, 65535);
            }
            case "unix" -> {
                if (path == null || path.isEmpty() || path.getBytes().length > 107) {
                    throw new IllegalArgumentException("unixPath=\"" + path + "\" must be a path of 1 to 107 bytes");
                }
            }
            default -> throw new IllegalArgumentException(
                    "protocol=\"" + protocol + "\" is unknown: use \"tcp\", \"udp\" or \"unix\"");
        }
    }

    /** Parses {@code tcp://host:port}, {@code udp://host:port} or {@code unix:/path}; IPv6 hosts in brackets. */
    public static ListenerSpec parse(String spec) {
        if (spec.startsWith("unix:")) {
            return new ListenerSpec("unix", null, 0, spec.substring("unix:".length()).replaceFirst("^//", ""));
        }
        int scheme = spec.indexOf("://");
        int colon = spec.lastIndexOf(':');
        if (scheme < 0 || colon <= scheme + 2) {
            throw new IllegalArgumentException("listener \"" + spec + "\" is not tcp://host:port, udp://host:port or unix:/path");
        }
        String host = spec.substring(scheme + 3, colon).replaceAll("^\\[|\\]$", "");
        try {
            return new ListenerSpec(spec.substring(0, scheme), InetAddress.getByName(host),
                    Integer.parseInt(spec.substring(colon + 1)), null);
        } catch (UnknownHostException | NumberFormatException e) {
            throw new IllegalArgumentException("listener \"" + spec + "\" has a bad host or port");
        }
    }

    /** The same listener on another port (the bound one, when 0 was asked for). */
    ListenerSpec withPort(int boundPort) {
        return new ListenerSpec(protocol, host, boundPort, path);
    }

    boolean udp() {
        return protocol.equals("udp");
    }

    @Override
    public String toString() {
        if (protocol.equals("unix")) {
            return "unix:" + path;
        }
        String address = host.getHostAddress();
        return protocol + "://" + (host instanceof Inet6Address ? "[" + address.replaceAll("%.*", "") + "]" : address)
                + ":" + port;
    }
}
