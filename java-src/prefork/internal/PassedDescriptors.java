package prefork.internal;

import java.io.IOException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Sends and receives one message with at most one file descriptor attached (SCM_RIGHTS) over a Unix socket,
 * with sendmsg/recvmsg. The native buffers (struct msghdr, one iovec, the control block and {@link #MAX_BYTES}
 * of payload) are allocated once: an instance is for one thread. Linux on a 64-bit CPU (the msghdr layout of
 * LP64 glibc), through {@link SocketCalls}. A received descriptor is close-on-exec.
 */
public final class PassedDescriptors {
    /** The largest payload of one message. */
    public static final int MAX_BYTES = 256;
    private static final int SCM_RIGHTS = 1;
    /** CMSG_SPACE(sizeof(int)) and CMSG_LEN(sizeof(int)) on LP64. */
    private static final int CONTROL_SPACE = 24, CONTROL_LENGTH = 20;
    private static final int MSG_CTRUNC = 0x8;
    private final Pointer header = Memory.allocateDirect(SocketCalls.runtime(), 56, true);
    private final Pointer vector = Memory.allocateDirect(SocketCalls.runtime(), 16, true);
    private final Pointer control = Memory.allocateDirect(SocketCalls.runtime(), CONTROL_SPACE, true);
    private final Pointer data = Memory.allocateDirect(SocketCalls.runtime(), MAX_BYTES, true);

    /** What {@link #receive} got: the payload's length (0 at end of stream) and the descriptor (-1: none). */
    public record Received(int length, int fd) {}

    /**
     * Sends {@code payload} (at most MAX_BYTES) with {@code fd} attached (-1: none), without SIGPIPE; returns
     * false when the peer is gone or no longer reads (EPIPE, ECONNRESET...), when the socket is full
     * ({@code flags} with MSG_DONTWAIT) or on any other error: the caller still owns {@code fd}.
     */
    public boolean send(int socket, int fd, byte[] payload, int flags) {
        prepare(payload.length, fd >= 0);
        data.put(0, payload, 0, payload.length);
        if (fd >= 0) {
            control.putLong(0, CONTROL_LENGTH);
            control.putInt(8, Native.SOL_SOCKET);
            control.putInt(12, SCM_RIGHTS);
            control.putInt(16, fd);
        }
        long sent;
        do {
            sent = SocketCalls.calls().sendmsg(socket, header, flags | Native.MSG_NOSIGNAL);
        } while (sent < 0 && SocketCalls.errno() == Native.EINTR);
        return sent == payload.length;
    }

    /**
     * Receives one message into {@code into} (its first MAX_BYTES at most), blocking unless {@code flags} has
     * MSG_DONTWAIT; length 0 means the peer closed or shut down its end. Throws IOException on an error (EAGAIN
     * included) or a truncated control block (a descriptor that did not fit is closed by the kernel).
     */
    public Received receive(int socket, byte[] into, int flags) throws IOException {
        prepare(Math.min(into.length, MAX_BYTES), true);
        long got;
        do {
            got = SocketCalls.calls().recvmsg(socket, header, flags | Native.MSG_CMSG_CLOEXEC);
        } while (got < 0 && SocketCalls.errno() == Native.EINTR);
        if (got < 0) {
            throw SocketCalls.error("recvmsg", SocketCalls.errno());
        }
        int fd = -1;
        long controlLength = header.getLong(40);
        if (controlLength >= CONTROL_LENGTH && control.getInt(8) == Native.SOL_SOCKET
                && control.getInt(12) == SCM_RIGHTS) {
            fd = control.getInt(16);
        }
        if ((header.getInt(48) & MSG_CTRUNC) != 0) {
            SocketCalls.closeQuietly(fd);
            throw new IOException("recvmsg: control data truncated");
        }
        data.get(0, into, 0, (int) got);
        return new Received((int) got, fd);
    }

    /** Lays out the msghdr: no name, one iovec of {@code length} bytes, the control block if {@code withFd}. */
    private void prepare(int length, boolean withFd) {
        if (length > MAX_BYTES) {
            throw new IllegalArgumentException("a passed message holds at most " + MAX_BYTES + " bytes, not " + length);
        }
        vector.putAddress(0, data.address());
        vector.putLong(8, length);
        header.putAddress(0, 0L);
        header.putInt(8, 0);
        header.putAddress(16, vector.address());
        header.putLong(24, 1);
        header.putAddress(32, withFd ? control.address() : 0L);
        header.putLong(40, withFd ? CONTROL_SPACE : 0);
        header.putInt(48, 0);
        control.putLong(0, 0);
    }
}
