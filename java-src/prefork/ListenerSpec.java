package prefork;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * One address a server listens on, and so one pool of workers: TCP or UDP on an IP and port, or a Unix domain
 * stream socket at a path, or TLS over TCP. Written and parsed as {@code tcp://127.0.0.1:7000},
 * {@code tls://127.0.0.1:7443}, {@code udp://[::1]:7000}, {@code unix:/run/app.sock}.
 *
 * @param protocol the transport
 * @param host the address to bind (null for unix); 0.0.0.0 or :: binds all
 * @param port the port, 0 for any free one (0 for unix)
 * @param path the socket file (unix only, else null)
 */
public record ListenerSpec(Protocol protocol, InetAddress host, int port, String path) {
    /** Throws InvalidOptionException naming the bad part. */
    public ListenerSpec {
        if (protocol == Protocol.UNIX) {
            if (path == null || path.isEmpty() || path.getBytes(StandardCharsets.UTF_8).length > 107) {
                throw new InvalidOptionException(Options.UNIX_PATH, path, "must be a path of 1 to 107 bytes");
            }
        } else {
            if (host == null) {
                throw new InvalidOptionException(Options.BIND_IP, null, "is needed for a " + protocol + " listener");
            }
            if (port < 0 || port > 65535) {
                throw new InvalidOptionException(Options.PORT, port, "is out of range: it must be between 0 and 65535");
            }
        }
    }

    /** A Unix domain stream socket at {@code path}. */
    public static ListenerSpec unix(String path) {
        return new ListenerSpec(Protocol.UNIX, null, 0, path);
    }

    /**
     * Parses {@code tcp://host:port}, {@code tls://host:port}, {@code udp://host:port} or {@code unix:/path};
     * IPv6 hosts in brackets.
     * Throws IllegalArgumentException saying what is wrong with it.
     */
    public static ListenerSpec parse(String spec) {
        if (spec.startsWith("unix:")) {
            return unix(spec.substring("unix:".length()).replaceFirst("^//", ""));
        }
        int scheme = spec.indexOf("://");
        int colon = spec.lastIndexOf(':');
        Protocol protocol = scheme < 0 ? null : Protocol.of(spec.substring(0, scheme)).orElse(null);
        if (protocol == null || protocol == Protocol.UNIX || colon <= scheme + 2) {
            throw new IllegalArgumentException("is not tcp://host:port, tls://host:port, udp://host:port or unix:/path");
        }
        String host = spec.substring(scheme + 3, colon).replaceAll("^\\[|\\]$", "");
        try {
            return new ListenerSpec(protocol, InetAddress.getByName(host), Integer.parseInt(spec.substring(colon + 1)), null);
        } catch (UnknownHostException | NumberFormatException | InvalidOptionException e) {
            throw new IllegalArgumentException("has a bad host or port");
        }
    }

    /** The same listener on another port (the bound one, when 0 was asked for). */
    public ListenerSpec withPort(int boundPort) {
        return new ListenerSpec(protocol, host, boundPort, path);
    }

    @Override
    public String toString() {
        if (protocol == Protocol.UNIX) {
            return "unix:" + path;
        }
        String address = host.getHostAddress();
        return protocol + "://" + (host instanceof Inet6Address ? "[" + address.replaceAll("%.*", "") + "]" : address)
                + ":" + port;
    }
}
