package prefork.manager;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import prefork.InvalidOptionException;
import prefork.ListenerSpec;
import prefork.Options;
import prefork.Protocol;
import prefork.internal.Native;

/**
 * systemd's socket activation (sd_listen_fds(3)): when {@code LISTEN_PID} is this process, the listening sockets
 * on fds 3 .. 3+{@code LISTEN_FDS}-1 (named by {@code LISTEN_FDNAMES}) are the server's listeners, in that
 * order, instead of the configured ones. Each socket's protocol and address are read from the socket itself
 * (SO_TYPE, SO_DOMAIN, SO_ACCEPTCONN, getsockname); each fd is made close-on-exec, and the three variables are
 * removed from the environment (native and the workers'), as sd_listen_fds(1) does.
 */
public final class SocketActivation {
    /** The first inherited fd (SD_LISTEN_FDS_START). */
    public static final int FIRST_FD = 3;

    /** One inherited socket: its fd, what it is, and its LISTEN_FDNAMES name ("unknown" when none). */
    public record InheritedSocket(NativeListener listener, ListenerSpec spec, String name) {}

    private SocketActivation() {}

    /**
     * The sockets passed to this process, or an empty list when {@code LISTEN_PID} is absent or another
     * process's. Throws IOException naming the fd when one is not a socket prefork can serve (a listening
     * tcp or unix stream socket, or a bound udp socket), InvalidOptionException when reusePort is on (the
     * inherited socket is the one everybody accepts on). On failure every inherited fd is closed.
     */
    public static List<InheritedSocket> take(ServerConfig config) throws IOException {
        return take(config, System.getenv(), ProcessHandle.current().pid());
    }

    static List<InheritedSocket> take(ServerConfig config, Map<String, String> env, long pid) throws IOException {
        String listenPid = env.get("LISTEN_PID");
        if (listenPid == null || !listenPid.trim().equals(Long.toString(pid))) {
            return List.of();
        }
        int count = parseCount(env.get("LISTEN_FDS"));
        List<String> names = env.get("LISTEN_FDNAMES") == null ? List.of()
                : Arrays.asList(env.get("LISTEN_FDNAMES").split(":", -1));
        for (String variable : List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")) {
            Native.libc().unsetenv(variable);
        }
        List<InheritedSocket> sockets = new ArrayList<>();
        try {
            if (count > 0 && config.reusePort()) {
                throw new InvalidOptionException(Options.ACCEPT_MODE, "reuse-port",
                        "cannot be used with sockets inherited through LISTEN_FDS (every worker accepts on those)");
            }
            for (int i = 0; i < count; i++) {
                int fd = FIRST_FD + i;
                String name = i < names.size() && !names.get(i).isEmpty() ? names.get(i) : "unknown";
                Native.check(Native.libc().fcntl(fd, Native.F_SETFD, Native.FD_CLOEXEC), "fcntl FD_CLOEXEC on fd " + fd);
                ListenerSpec spec = describe(fd);
                sockets.add(new InheritedSocket(NativeListener.adopt(fd, address(spec)), spec, name));
            }
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < count; i++) {
                Native.closeQuietly(FIRST_FD + i);
            }
            throw e;
        }
        if (!sockets.isEmpty()) {
            config.log().log("socket activation: " + sockets.size() + " inherited sockets replace the configured listeners");
        }
        sockets.forEach(socket -> config.log().log("socket activation: fd " + socket.listener().fd() + " ("
                + socket.name() + ") is " + socket.spec()));
        return sockets;
    }

    private static int parseCount(String text) throws IOException {
        try {
            int count = Integer.parseInt(text == null ? "" : text.trim());
            if (count >= 0 && count <= 1024) {
                return count;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IOException("LISTEN_FDS=\"" + text + "\" is not a number of sockets between 0 and 1024");
    }

    /** What the socket on {@code fd} is, read from the kernel; throws IOException for one prefork cannot serve. */
    static ListenerSpec describe(int fd) throws IOException {
        int type = intOption(fd, Native.SO_TYPE, "SO_TYPE");
        int domain = intOption(fd, Native.SO_DOMAIN, "SO_DOMAIN");
        boolean listening = intOption(fd, Native.SO_ACCEPTCONN, "SO_ACCEPTCONN") != 0;
        byte[] sockaddr = new byte[128];
        int[] length = {sockaddr.length};
        Native.check(Native.libc().getsockname(fd, sockaddr, length), "getsockname on fd " + fd);
        boolean stream = type == Native.SOCK_STREAM, datagram = type == Native.SOCK_DGRAM;
        if (domain == Native.AF_UNIX && stream && listening) {
            return ListenerSpec.unix(unixPath(sockaddr, length[0]));
        }
        if ((domain == Native.AF_INET || domain == Native.AF_INET6) && (datagram || (stream && listening))) {
            int port = ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
            byte[] raw = domain == Native.AF_INET ? Arrays.copyOfRange(sockaddr, 4, 8) : Arrays.copyOfRange(sockaddr, 8, 24);
            return new ListenerSpec(stream ? Protocol.TCP : Protocol.UDP, InetAddress.getByAddress(raw), port, null);
        }
        throw new IOException("inherited fd " + fd + " (LISTEN_FDS) is a " + (stream ? "stream" : datagram ? "datagram"
                : "type " + type) + " socket of family " + domain + (stream && !listening ? " that does not listen" : "")
                + ": prefork serves listening tcp and unix stream sockets and bound udp sockets");
    }

    private static int intOption(int fd, int option, String name) throws IOException {
        int[] value = new int[1];
        Native.check(Native.libc().getsockopt(fd, Native.SOL_SOCKET, option, value, new int[] {4}),
                "getsockopt " + name + " on inherited fd " + fd + " (is it a socket?)");
        return value[0];
    }

    /** sun_path of a sockaddr_un of {@code length} bytes; an abstract name is written "@name". */
    private static String unixPath(byte[] sockaddr, int length) {
        if (length <= 2) {
            return "@";
        }
        if (sockaddr[2] == 0) {
            return "@" + new String(sockaddr, 3, length - 3, StandardCharsets.UTF_8);
        }
        int end = 2;
        while (end < length && sockaddr[end] != 0) {
            end++;
        }
        return new String(sockaddr, 2, end - 2, StandardCharsets.UTF_8);
    }

    private static InetSocketAddress address(ListenerSpec spec) {
        return spec.host() == null ? null : new InetSocketAddress(spec.host(), spec.port());
    }
}
