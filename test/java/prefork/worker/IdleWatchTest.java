package prefork.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** IdleWatch closes a connection whose reader waits too long in a read of it, and only then. */
@Timeout(30)
class IdleWatchTest {
    @Test
    void aReadThatWaitsLongerThanTheTimeoutIsClosedAndNotEarly() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                Socket client = new Socket(InetAddress.getLoopbackAddress(), server.socket().getLocalPort());
                SocketChannel accepted = server.accept()) {
            long[] waited = new long[1];
            boolean[] closedIdle = new boolean[1];
            CountDownLatch done = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try {
                    IdleWatch watch = IdleWatch.start(400);
                    watch.begin(accepted);
                    long at = System.nanoTime();
                    InputStream in = accepted.socket().getInputStream();
                    try {
                        in.read();
                    } catch (java.io.IOException expected) {
                        // closed under the read
                    }
                    waited[0] = (System.nanoTime() - at) / 1_000_000;
                    watch.end();
                    closedIdle[0] = watch.closedIdle(accepted);
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    done.countDown();
                }
            });
            reader.start();
            assertTrue(done.await(10, TimeUnit.SECONDS), "the read ended");
            assertTrue(closedIdle[0], "closed by the watch");
            assertTrue(waited[0] >= 400 && waited[0] < 5_000, "after the timeout, not before: " + waited[0] + " ms");
            assertFalse(accepted.isOpen());
        }
    }

    @Test
    void onlyASocketChannelReadCounts() {
        StackTraceElement read = new StackTraceElement("sun.nio.ch.SocketChannelImpl", "blockingRead", null, 1);
        StackTraceElement sleep = new StackTraceElement("java.lang.Thread", "sleep", null, 1);
        assertTrue(IdleWatch.readingSocket(new StackTraceElement[] {
            new StackTraceElement("sun.nio.ch.SocketDispatcher", "read0", null, 1), read}));
        assertFalse(IdleWatch.readingSocket(new StackTraceElement[] {sleep}));
        assertFalse(IdleWatch.readingSocket(new StackTraceElement[0]));
    }
}
