package prefork.manager;

import java.io.IOException;
import prefork.ListenerSpec;
import prefork.Protocol;
import prefork.internal.Handoff;
import prefork.internal.Native;

/**
 * A stream listener the dispatcher accepts on: the manager's socket made non-blocking (no worker shares it in
 * dispatch mode), its spec, and the family a worker's channel for its connections needs.
 */
final class DispatchListener {
    private final NativeListener listener;
    private final ListenerSpec spec;
    private final byte family;

    private DispatchListener(NativeListener listener, ListenerSpec spec, byte family) {
        this.listener = listener;
        this.spec = spec;
        this.family = family;
    }

    /** Makes {@code listener} non-blocking; throws IOException if that fails. */
    static DispatchListener of(NativeListener listener, ListenerSpec spec) throws IOException {
        Native.check(Native.libc().fcntl(listener.fd(), Native.F_SETFL, Native.O_NONBLOCK), "fcntl O_NONBLOCK");
        int family = spec.protocol() == Protocol.UNIX ? Native.AF_UNIX : listener.family();
        return new DispatchListener(listener, spec, family == Native.AF_UNIX ? Handoff.UNIX
                : family == Native.AF_INET6 ? Handoff.INET6 : Handoff.INET);
    }

    ListenerSpec spec() {
        return spec;
    }

    byte family() {
        return family;
    }

    int fd() {
        return listener.fd();
    }

    /**
     * One queued connection (blocking, close-on-exec) with the peer's sockaddr in {@code address}; -1 when none
     * is queued or the accept failed (a connection reset before it was accepted, too many open files: the
     * next poll tries again).
     */
    int accept(byte[] address) {
        return Native.libc().accept4(listener.fd(), address, new int[] {address.length}, Native.SOCK_CLOEXEC);
    }

    /** Closes the socket (a Unix socket's file is removed); idempotent. */
    void close() {
        listener.close();
    }
}
