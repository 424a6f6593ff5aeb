package prefork.worker;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import prefork.internal.Handoff;
import prefork.internal.Native;
import prefork.internal.PassedDescriptors;
import prefork.internal.SocketCalls;
import prefork.internal.WorkerFds;

/**
 * Dispatch mode, the worker's end: receives each connection the manager passes on {@link WorkerFds#DISPATCH}
 * ({@link Handoff}), turns its descriptor into the JDK's own blocking {@link SocketChannel} (the constructor
 * the JDK's accept uses; the manager starts these workers with {@code --add-opens java.base/sun.nio.ch}), and
 * answers: taken, or refused once the worker is stopping. The only class of a worker that loads native code
 * (jnr, for recvmsg and sendmsg), and only in this mode. Used by the worker's main thread only.
 */
final class DispatchedConnections {
    private static final Constructor<?> CHANNEL;
    private static final Method NEW_FD;

    static {
        try {
            Class<?> impl = Class.forName("sun.nio.ch.SocketChannelImpl");
            CHANNEL = impl.getDeclaredConstructor(SelectorProvider.class, ProtocolFamily.class, FileDescriptor.class,
                    SocketAddress.class);
            CHANNEL.setAccessible(true);
            NEW_FD = Class.forName("sun.nio.ch.IOUtil").getMethod("newFD", int.class);
            NEW_FD.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("dispatch mode needs --add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
                    + " (the manager passes it): " + e);
        }
    }

    private final PassedDescriptors passing = new PassedDescriptors();
    private final byte[] buffer = new byte[PassedDescriptors.MAX_BYTES];
    private volatile boolean stopping;

    /**
     * Runs each call a connection needs once, before the worker says it is idle: the first use of jnr's
     * reflective binding and of the channel's constructor is slow (tens of milliseconds, seconds on a
     * loaded machine), and a worker's first connection must not run into dispatchTimeout because of it.
     * The receive finds nothing (nothing is sent to a worker that is not idle yet), the answer is a
     * wake-up the manager ignores, and the channel made of no descriptor fails.
     */
    DispatchedConnections() {
        try {
            SocketCalls.closeQuietly(passing.receive(WorkerFds.DISPATCH, buffer, Native.MSG_DONTWAIT).fd());
        } catch (IOException expected) {
            // EAGAIN
        }
        idle();
        try {
            channel(-1, new Handoff.Connection(0, Handoff.INET, new java.net.InetSocketAddress(0))).close();
        } catch (IOException expected) {
            // EBADF
        }
    }

    /** A connection taken: its channel, the index of the manager's listener it came from, the peer (null: Unix). */
    record Taken(SocketChannel channel, Handoff.Connection connection) {}

    /** Something {@link #next} calls once it owns a connection and before it answers (marks the slot busy). */
    @FunctionalInterface
    interface BeforeAnswer {
        void taking(Handoff.Connection connection);
    }

    /**
     * Waits for the next connection; null once the manager's end is gone or {@link #stop} was called and
     * everything queued was refused. Throws IOException when receiving fails.
     */
    Taken next(BeforeAnswer busy) throws IOException {
        while (true) {
            PassedDescriptors.Received received = passing.receive(WorkerFds.DISPATCH, buffer, 0);
            if (received.length() == 0) {
                SocketCalls.closeQuietly(received.fd());
                return null;
            }
            if (received.fd() < 0) {
                continue; // nothing to take (cannot happen: the manager always attaches one)
            }
            if (stopping) {
                SocketCalls.closeQuietly(received.fd());
                answer(Handoff.REFUSED);
                continue;
            }
            Handoff.Connection connection;
            SocketChannel channel;
            try {
                connection = Handoff.Connection.decode(buffer, received.length());
                channel = channel(received.fd(), connection);
            } catch (IOException | RuntimeException e) {
                SocketCalls.closeQuietly(received.fd());
                answer(Handoff.TAKEN); // it was ours to close; the manager must not pass it on
                Worker.log("cannot take a dispatched connection: " + e);
                continue;
            }
            busy.taking(connection);
            answer(Handoff.TAKEN);
            return new Taken(channel, connection);
        }
    }

    /**
     * From now on every connection is refused (the manager passes it to another worker), and {@link #next}
     * returns null once nothing is queued: shutting the socket's reading side wakes a blocked recvmsg.
     */
    void stop() {
        stopping = true;
        SocketCalls.calls().shutdown(WorkerFds.DISPATCH, Native.SHUT_RD);
    }

    /** Wakes the manager's dispatcher, which waits for an idle worker. */
    void idle() {
        answer(Handoff.IDLE);
    }

    private void answer(byte what) {
        passing.send(WorkerFds.DISPATCH, -1, new byte[] {what}, 0); // the manager gone: next() sees the end
    }

    private static SocketChannel channel(int fd, Handoff.Connection connection) throws IOException {
        ProtocolFamily family = connection.family() == Handoff.UNIX ? StandardProtocolFamily.UNIX
                : connection.family() == Handoff.INET6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        SocketAddress remote = connection.peer() != null ? connection.peer() : UnixDomainSocketAddress.of("");
        try {
            return (SocketChannel) CHANNEL.newInstance(SelectorProvider.provider(), family, NEW_FD.invoke(null, fd),
                    remote);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException(e);
        }
    }
}
