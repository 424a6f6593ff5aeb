package prefork.manager;

import prefork.internal.LibC;
import prefork.internal.Native;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A listening socket created natively in the manager (SOCK_CLOEXEC, so it reaches only the workers it is
 * handed to). The manager never accepts on it; workers receive it as their fd 0. In reuse-port mode the
 * manager's TCP socket is bound with SO_REUSEPORT but never listens: it only reserves the port, and each
 * worker binds and listens on a socket of its own.
 */
public final class NativeListener implements AutoCloseable {
    private static final int TCP_LISTEN = 10;
    private final int fd;
    private final InetSocketAddress address;
    private final Path unixPath;
    private volatile boolean keepFile;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private NativeListener(int fd, InetSocketAddress address, Path unixPath) {
        this.fd = fd;
        this.address = address;
        this.unixPath = unixPath;
    }

    /**
     * Binds a Unix domain stream socket at {@code path} and listens. A socket file that a live server answers
     * on is refused; one that nobody answers on (left by a crash) is replaced. {@code mode} ("660", or null to
     * keep what the umask gives) is applied to the file. The file is removed by {@link #close()}.
     */
    public static NativeListener bindUnix(String path, int backlog, String mode) throws IOException {
        Path file = Path.of(path);
        removeIfStale(file, "unixPath");
        LibC c = Native.libc();
        int fd = Native.check(c.socket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0), "socket");
        try {
            byte[] name = path.getBytes(StandardCharsets.UTF_8);
            byte[] sockaddr = new byte[2 + name.length + 1];
            sockaddr[0] = (byte) Native.AF_UNIX;
            System.arraycopy(name, 0, sockaddr, 2, name.length);
            if (c.bind(fd, sockaddr, sockaddr.length) < 0) {
                throw Native.error("cannot bind unix socket " + path, Native.errno());
            }
            NativeListener listener = new NativeListener(fd, null, file);
            if (mode != null) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions(mode)));
            }
            Native.check(c.listen(fd, backlog), "listen on " + path);
            return listener;
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * Removes a Unix socket file at {@code file} that nobody answers on (left by a crash); throws IOException
     * naming {@code option} when a live server answers on it or it is not a socket. Nothing there: nothing done.
     */
    public static void removeIfStale(Path file, String option) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(option + "=" + file + " exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(file));
            throw new IOException(option + "=" + file + " is in use: a live server answers on it");
        } catch (ConnectException e) {
            Files.delete(file);
        }
    }

    /** "660" or "0660" to "rw-rw----"; throws IllegalArgumentException for anything else. */
    public static String permissions(String mode) {
        if (!mode.matches("0?[0-7]{3}")) {
            throw new IllegalArgumentException("unixMode=\"" + mode + "\" is not an octal file mode like 660");
        }
        String digits = mode.substring(mode.length() - 3);
        StringBuilder text = new StringBuilder();
        for (char digit : digits.toCharArray()) {
            int bits = digit - '0';
            text.append((bits & 4) != 0 ? 'r' : '-').append((bits & 2) != 0 ? 'w' : '-').append((bits & 1) != 0 ? 'x' : '-');
        }
        return text.toString();
    }

    /**
     * Binds a TCP (listening, with {@code backlog}) or UDP socket on {@code bindIp:port}; port 0 picks a free
     * port. With {@code reusePort} a TCP socket is bound with SO_REUSEPORT and does not listen. A UDP socket on
     * an IPv4 address is an AF_INET6 socket bound to the IPv4-mapped address ({@code ::ffff:a.b.c.d}), unless
     * the kernel has no IPv6 (see {@link #socketFor}). Returns the listener with its actual bound address (the
     * address asked for); throws IOException naming the address on failure.
     */
    public static NativeListener bind(InetAddress bindIp, int port, boolean udp, int backlog, boolean reusePort)
            throws IOException {
        LibC c = Native.libc();
        boolean v6 = bindIp instanceof Inet6Address;
        int fd = socketFor(bindIp, udp);
        boolean mapped = !v6 && family(fd) == Native.AF_INET6;
        String where = (v6 ? "[" + bindIp.getHostAddress() + "]" : bindIp.getHostAddress()) + ":" + port;
        try {
            if (!udp) {
                // TCP only: for UDP it would let a second server bind the same port and take its datagrams
                setInt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, 1, "SO_REUSEADDR");
            }
            if (reusePort) {
                setInt(fd, Native.SOL_SOCKET, Native.SO_REUSEPORT, 1, "SO_REUSEPORT");
            }
            if (mapped || (v6 && bindIp.isAnyLocalAddress())) {
                setInt(fd, Native.IPPROTO_IPV6, Native.IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            }
            byte[] sockaddr = mapped ? encodeMapped((Inet4Address) bindIp, port) : encode(bindIp, port);
            if (c.bind(fd, sockaddr, sockaddr.length) < 0) {
                throw Native.error("cannot bind " + (udp ? "udp " : "tcp ") + where, Native.errno());
            }
            if (!udp && !reusePort) {
                Native.check(c.listen(fd, backlog), "listen on " + where);
            }
            return new NativeListener(fd, new InetSocketAddress(bindIp, boundPort(fd)), null);
        } catch (IOException | RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    /**
     * The socket for {@code bindIp}: of its own family, except UDP on IPv4, which gets an AF_INET6 socket (to be
     * bound to the IPv4-mapped address) when the kernel can make one. Why: from JDK 18 on, a worker's inherited
     * DatagramChannel does not ask fd 0 its family; it assumes INET6 whenever IPv6 is available and then sends
     * every reply to an IPv6 (or IPv4-mapped) address, which an AF_INET socket refuses (EAFNOSUPPORT). An
     * AF_INET6 socket bound to ::ffff:a.b.c.d still serves IPv4 only (it conflicts with IPv4 binds of the
     * port and receives no IPv6 datagrams) and works on every JDK; without IPv6 in the kernel the JDK assumes
     * INET and a plain AF_INET socket is right.
     */
    static int socketFor(InetAddress bindIp, boolean udp) throws IOException {
        LibC c = Native.libc();
        int type = (udp ? Native.SOCK_DGRAM : Native.SOCK_STREAM) | Native.SOCK_CLOEXEC;
        if (bindIp instanceof Inet6Address) {
            return Native.check(c.socket(Native.AF_INET6, type, 0), "socket");
        }
        int fd = udp ? c.socket(Native.AF_INET6, type, 0) : -1;
        return fd >= 0 ? fd : Native.check(c.socket(Native.AF_INET, type, 0), "socket");
    }

    /** The address family of this socket (AF_INET, AF_INET6 or AF_UNIX), as getsockname reports it. */
    int family() throws IOException {
        return family(fd);
    }

    /** The address family of socket {@code fd} (AF_INET, AF_INET6 or AF_UNIX), as getsockname reports it. */
    private static int family(int fd) throws IOException {
        byte[] sockaddr = new byte[128];
        Native.check(Native.libc().getsockname(fd, sockaddr, new int[] {sockaddr.length}), "getsockname");
        return (sockaddr[0] & 0xff) | ((sockaddr[1] & 0xff) << 8);
    }

    /**
     * A socket this process inherited already bound ({@link SocketActivation}): {@code address} is its bound
     * address (null for a Unix socket, whose file belongs to whoever made it and is never removed).
     */
    static NativeListener adopt(int fd, InetSocketAddress address) {
        return new NativeListener(fd, address, null);
    }

    /** The native fd; valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    /** The bound address, with the real port when 0 was asked for; null for a Unix socket. */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * The kernel's accept queue of a listening TCP socket, from TCP_INFO (for a listener Linux reports the
     * queued connections in tcpi_unacked and the backlog in tcpi_sacked): {length, limit}. Null when the socket
     * does not listen (reuse-port mode), is closed, or the call fails. One getsockopt, no /proc scan.
     */
    public synchronized int[] acceptQueue() {
        if (closed.get()) {
            return null;
        }
        byte[] info = new byte[104];
        int[] length = {info.length};
        if (Native.libc().getsockopt(fd, Native.SOL_TCP, Native.TCP_INFO, info, length) < 0 || length[0] < 32
                || info[0] != TCP_LISTEN) {
            return null;
        }
        java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(info).order(java.nio.ByteOrder.nativeOrder());
        return new int[] {view.getInt(24), view.getInt(28)};
    }

    /** Makes {@link #close} leave the Unix socket file in place (a new manager serves it after an upgrade). */
    public void keepFile() {
        keepFile = true;
    }

    /**
     * Closes the manager's copy of the socket (workers keep theirs until they stop); removes a Unix socket
     * file (unless {@link #keepFile}). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed.getAndSet(true)) {
                return;
            }
            Native.closeQuietly(fd);
        }
        if (unixPath != null && !keepFile) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException ignored) {
                // nothing more can be done; a later start replaces a stale file
            }
        }
    }

    private static void setInt(int fd, int level, int option, int value, String name) throws IOException {
        Native.check(Native.libc().setsockopt(fd, level, option, new int[] {value}, 4), "setsockopt " + name);
    }

    private static int boundPort(int fd) throws IOException {
        byte[] sockaddr = new byte[128];
        Native.check(Native.libc().getsockname(fd, sockaddr, new int[] {sockaddr.length}), "getsockname");
        return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
    }

    /** struct sockaddr_in6 for the IPv4-mapped form of {@code ip}, ::ffff:a.b.c.d (::ffff:0.0.0.0 for 0.0.0.0). */
    static byte[] encodeMapped(Inet4Address ip, int port) {
        byte[] sockaddr = new byte[28];
        sockaddr[0] = (byte) Native.AF_INET6;
        sockaddr[1] = (byte) (Native.AF_INET6 >> 8);
        sockaddr[2] = (byte) (port >> 8);
        sockaddr[3] = (byte) port;
        sockaddr[18] = (byte) 0xff; // sin6_addr is bytes 8..23: 10 zero bytes, 0xffff, then the IPv4 address
        sockaddr[19] = (byte) 0xff;
        System.arraycopy(ip.getAddress(), 0, sockaddr, 20, 4);
        return sockaddr;
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
