package prefork.internal;

import java.io.IOException;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** The loaded {@link LibC}, Linux constants, and errno-to-exception helpers. */
public final class Native {
    public static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_REUSEPORT = 15;
    public static final int SO_TYPE = 3, SO_ACCEPTCONN = 30, SO_DOMAIN = 39;
    public static final int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1, MSG_NOSIGNAL = 0x4000;
    public static final int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    public static final int O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
    public static final int O_WRONLY = 1, O_APPEND = 0x400;
    public static final int WNOHANG = 1, F_SETFL = 4, O_NONBLOCK = 0x800;
    public static final int EINTR = 4, EAGAIN = 11;
    public static final int SOCK_SEQPACKET = 5, SHUT_RD = 0, MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000;
    public static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10;
    /** ioctl request: the number of bytes waiting in a pipe. */
    public static final long FIONREAD = 0x541B;
    public static final int SIGKILL = 9, SIGTERM = 15;
    public static final int SOL_TCP = 6, TCP_INFO = 11, SC_CLK_TCK = 2, SC_PAGESIZE = 30;

    /**
     * jffi (under jnr-ffi) reads and writes native memory with sun.misc.Unsafe unless this property is true, and
     * from JDK 24 on the first such call prints a deprecation warning on every start. Its JNI memory access is
     * used instead, on every JDK (it only serves spawning, never a request); a value set by the user is kept.
     */
    static final String JFFI_UNSAFE_DISABLED = "jffi.unsafe.disabled";

    /**
     * jnr-ffi generates a bytecode binding class per interface unless this property is false; its reflective
     * binding instead takes about 130 ms less of the manager's start-up (measured, BENCHMARKS.md), which comes
     * before the first worker can be spawned, for a few microseconds more per call (calls spawn, reap and poll;
     * in dispatch mode, two per connection). A value set by the user is kept.
     */
    static final String JNR_ASM_ENABLED = "jnr.ffi.asm.enabled";

    /** Sets jnr's properties (above) that the user has not set; before the first binding is loaded. */
    static void configureJnr() {
        for (String[] property : new String[][] {{JFFI_UNSAFE_DISABLED, "true"}, {JNR_ASM_ENABLED, "false"}}) {
            if (System.getProperty(property[0]) == null) {
                System.setProperty(property[0], property[1]);
            }
        }
    }

    private static final class Holder {
        static {
            configureJnr();
        }

        static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private static final java.util.concurrent.atomic.AtomicBoolean PRELOADING = new java.util.concurrent.atomic.AtomicBoolean();

    private Native() {}

    /** The C library, loaded on first use. */
    public static LibC libc() {
        return Holder.LIBC;
    }

    /**
     * Starts loading {@link #libc()} on a daemon thread and returns at once: the manager calls it first thing, so
     * that jnr's binding (about 0.1 s) loads while the configuration is read and checked, not after. Errors are
     * left for the first real call to report.
     */
    public static void preload() {
        if (PRELOADING.getAndSet(true)) {
            return;
        }
        Thread loader = new Thread(() -> {
            try {
                warmUp(libc());
            } catch (Throwable e) {
                // reported by the first call that needs the library
            }
        }, "prefork-native-preload");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Makes the first calls of the kinds the manager makes before its first spawn, with arguments that do
     * nothing (fd -1 fails with EBADF): jnr builds each method's reflective invoker, its string, array and
     * pointer marshalling and its memory manager on first use, about 70 ms in all, which then happen here on
     * the preload thread instead of on the way to the first worker (measured, BENCHMARKS.md).
     */
    private static void warmUp(LibC libc) {
        libc.strerror(0);
        libc.close(-1);
        libc.fcntl(-1, F_GETFD, 0);
        libc.getsockopt(-1, SOL_SOCKET, SO_TYPE, new int[1], new int[] {4});
        jnr.ffi.Pointer actions = jnr.ffi.Memory.allocateDirect(runtime(), 512);
        libc.posix_spawn_file_actions_init(actions);
        libc.posix_spawn_file_actions_destroy(actions);
    }

    /** The jnr runtime of {@link #libc()}, for allocating native memory. */
    public static Runtime runtime() {
        return Holder.RUNTIME;
    }

    /** errno of the last call on this thread made through a {@code @SaveError} method. */
    public static int errno() {
        return LastError.getLastError(Holder.RUNTIME);
    }

    /** An IOException reading "{@code what}: strerror(errno)". */
    public static IOException error(String what, int errno) {
        return new IOException(what + ": " + libc().strerror(errno) + " (errno " + errno + ")");
    }

    /** Throws {@link #error} with the current errno when {@code result} is negative; returns it otherwise. */
    public static int check(int result, String what) throws IOException {
        if (result < 0) {
            throw error(what, errno());
        }
        return result;
    }

    /** Closes a native fd, ignoring errors; a negative fd is ignored. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            libc().close(fd);
        }
    }
}
