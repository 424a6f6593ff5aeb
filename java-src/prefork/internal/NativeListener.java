package prefork.internal;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A listening socket created natively in the manager (SOCK_CLOEXEC, so it reaches only the workers it is
 * handed to). The manager never accepts on it; workers receive it as their fd 0.
 */
public final class NativeListener implements AutoCloseable {
    private final int fd;
    private final InetSocketAddress address;

    private NativeListener(int fd, InetSocketAddress address) {
        this.fd = fd;
        this.address = address;
    }

    /**
     * Binds a TCP (listening, with {@code backlog}) or UDP socket on {@code bindIp:port}; port 0 picks a free
     * port. Returns the listener with its actual bound address; throws IOException naming the address on failure.
     */
    public static NativeListener bind(InetAddress bindIp, int port, boolean udp, int backlog, boolean reusePort)
            throws IOException {
        LibC c = Native.libc();
        boolean v6 = bindIp instanceof Inet6Address;
        int fd = Native.check(c.socket(v6 ? Native.AF_INET6 : Native.AF_INET,
                (udp ? Native.SOCK_DGRAM : Native.SOCK_STREAM) | Native.SOCK_CLOEXEC, 0), "socket");
        String where = (v6 ? "[" + bindIp.getHostAddress() + "]" : bindIp.getHostAddress()) + ":" + port;
        try {
            setInt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1, "SO_REUSEADDR");
            if (reusePort) {
                setInt(fd, Native.SOL_SOCKET, Native.SO_REUSEPORT, 1, "SO_REUSEPORT");
            }
            if (v6 && bindIp.isAnyLocalAddress()) {
                setInt(fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            }
            byte[] sockaddr = encode(bindIp, port);
            if (c.bind(fd, sockaddr, sockaddr.length) < 0) {
                throw Native.error("cannot bind " + (udp ? "udp " : "tcp ") + where, Native.errno());
            }
            if (!udp) {
                Native.check(c.listen(fd, backlog), "listen on " + where);
            }
            return new NativeListener(fd, new InetSocketAddress(bindIp, boundPort(fd)));
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    /** The native fd; valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** The bound address, with the real port when 0 was asked for. */
    public InetSocketAddress address() {
        return address;
    }

    /** Closes the manager's copy of the socket; workers keep theirs until they exit. */
    @Override
    public void close() {
        Native.closeQuietly(fd);
    }

    private static void setInt(int fd, int level, int option, int value, String name) throws IOException {
        Native.check(Native.libc().setsockopt(fd, level, option, new int[] {value}, 4), "setsockopt " + name);
    }

    private static int boundPort(int fd) throws IOException {
        byte[] sockaddr = new byte[128];
        Native.check(Native.libc().getsockname(fd, sockaddr, new int[] {sockaddr.length}), "getsockname");
        return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
    }

    /** struct sockaddr_in or sockaddr_in6 for Linux: family in host order (little endian), port in network order. */
    static byte[] encode(InetAddress ip, int port) {
        byte[] raw = ip.getAddress();
        byte[] sockaddr = new byte[ip instanceof Inet4Address ? 16 : 28];
        int family = ip instanceof Inet4Address ? Native.AF_INET : Native.AF_INET6;
        sockaddr[0] = (byte) family;
        sockaddr[1] = (byte) (family >> 8);
        sockaddr[2] = (byte) (port >> 8);
        sockaddr[3] = (byte) port;
        if (ip instanceof Inet4Address) {
            System.arraycopy(raw, 0, sockaddr, 4, 4);
        } else {
            System.arraycopy(raw, 0, sockaddr, 8, 16);
            int scope = ((Inet6Address) ip).getScopeId();
            for (int i = 0; i < 4; i++) {
                sockaddr[24 + i] = (byte) (scope >> (8 * i));
            }
        }
        return sockaddr;
    }
}
