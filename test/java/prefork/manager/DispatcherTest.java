package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import prefork.ListenerSpec;
import prefork.Log;
import prefork.internal.Native;
import prefork.internal.PassedDescriptors;
import prefork.internal.Scoreboard;

/**
 * The dispatcher's overload=close decision against a real listener, a real scoreboard and a real dispatch
 * socket pair standing in for one worker (slot 0). The overload signal is the hook that lets a test change the
 * worker's state exactly between the turn's decision to shed and its accept.
 */
@Timeout(20)
class DispatcherTest {
    private static final long PID = 4242;
    private static final int WAIT_MILLIS = 5000;
    @TempDir
    Path dir;
    private Scoreboard scoreboard;
    private final int[] pair = new int[2];
    private Dispatcher dispatcher;
    private Socket client;

    @BeforeEach
    void oneBusyWorkerAndAWaitingClient() throws Exception {
        scoreboard = Scoreboard.map(Files.createFile(dir.resolve("scoreboard")));
        scoreboard.claim(0, PID);
        scoreboard.setState(0, Scoreboard.BUSY);
        Native.check(Native.libc().socketpair(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0, pair),
                "socketpair");
        DispatchTargets targets = new DispatchTargets();
        targets.add(0, PID, pair[0]);
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        NativeListener listener = NativeListener.bind(loopback, 0, false, 16, false);
        DispatchListener dispatchListener = DispatchListener.of(listener,
                new ListenerSpec(prefork.Protocol.TCP, loopback, listener.address().getPort(), null));
        dispatcher = new Dispatcher(List.of(dispatchListener), scoreboard, targets, true,
                TimeUnit.SECONDS.toNanos(30), Log.stderr());
        client = new Socket();
        client.connect(new InetSocketAddress(loopback, listener.address().getPort()), WAIT_MILLIS);
        client.setSoTimeout(WAIT_MILLIS);
    }

    @AfterEach
    void closeEverything() throws Exception {
        dispatcher.close(); // closes the listener and the manager's end of the pair
        Native.closeQuietly(pair[1]);
        client.close();
    }

    @Test
    void everyWorkerBusyAtMaxServersTheConnectionIsClosedAtOnce() throws Exception {
        AtomicBoolean asked = new AtomicBoolean();
        dispatcher.overloadSignal(() -> {
            asked.set(true);
            return true;
        });
        dispatcher.start("dispatcher-test");
        assertEquals(-1, client.getInputStream().read(), "closed by the manager without a byte");
        assertTrue(asked.get(), "the overload policy was consulted");
        assertEquals(0, readyWithin(pair[1], 200), "the busy worker was sent nothing");
    }

    @Test
    void aWorkerIdleByTheTimeTheConnectionIsAcceptedGetsItInsteadOfAClose() throws Exception {
        AtomicBoolean wentIdle = new AtomicBoolean();
        dispatcher.overloadSignal(() -> {
            if (wentIdle.compareAndSet(false, true)) {
                scoreboard.markIdle(0, 1); // the worker finishes its connection during the turn's poll
            }
            return true;
        });
        dispatcher.start("dispatcher-test");
        assertEquals(1, readyWithin(pair[1], WAIT_MILLIS), "the worker's socket got a connection");
        byte[] message = new byte[PassedDescriptors.MAX_BYTES];
        PassedDescriptors.Received received = new PassedDescriptors().receive(pair[1], message, Native.MSG_DONTWAIT);
        try {
            assertTrue(wentIdle.get());
            assertTrue(received.fd() >= 0, "a descriptor came with the message");
            byte[] hello = {'h', 'i'};
            assertEquals(2, Native.libc().write(received.fd(), hello, 2));
            assertEquals('h', client.getInputStream().read(), "the client is connected to the passed descriptor");
        } finally {
            Native.closeQuietly(received.fd());
        }
    }

    /** poll(2) on one fd for POLLIN: 1 when readable within {@code millis}, 0 when not. */
    private static int readyWithin(int fd, int millis) throws Exception {
        int[] fds = {fd, Native.POLLIN};
        return Native.check(Native.libc().poll(fds, 1, millis), "poll");
    }
}
