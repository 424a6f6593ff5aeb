package prefork.internal;

import java.io.IOException;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.ssize_t;

/**
 * The few glibc calls a dispatch-mode worker needs (sendmsg, recvmsg, shutdown, close), bound on their own: jnr
 * generates a binding class per interface at load time, and a worker that loaded all of {@link LibC} would pay
 * for some forty calls it never makes. The manager uses the same binding for descriptor passing.
 */
public final class SocketCalls {
    /** The binding itself. */
    public interface Calls {
        @SaveError @ssize_t long sendmsg(int fd, Pointer message, int flags);
        @SaveError @ssize_t long recvmsg(int fd, Pointer message, int flags);
        @SaveError int shutdown(int fd, int how);
        @SaveError int close(int fd);
        String strerror(int errno);
    }

    private static final class Holder {
        static {
            Native.configureJnr();
        }

        static final Calls CALLS = LibraryLoader.create(Calls.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(CALLS);
    }

    private SocketCalls() {}

    /** The binding, loaded on first use. */
    public static Calls calls() {
        return Holder.CALLS;
    }

    /** Its jnr runtime, for native memory. */
    public static Runtime runtime() {
        return Holder.RUNTIME;
    }

    /** errno of this thread's last call through {@link #calls()}. */
    public static int errno() {
        return LastError.getLastError(Holder.RUNTIME);
    }

    /** An IOException reading "{@code what}: strerror(errno)". */
    public static IOException error(String what, int errno) {
        return new IOException(what + ": " + calls().strerror(errno) + " (errno " + errno + ")");
    }

    /** Closes a native fd, ignoring errors; a negative fd is ignored. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            calls().close(fd);
        }
    }
}
