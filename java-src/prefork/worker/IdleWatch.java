package prefork.worker;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * The idleTimeout of a worker's TCP and TLS connections: a connection whose handler has waited in a read on
 * it for the whole timeout is closed, so the read fails and the worker goes back to accepting.
 *
 * <p>Why not SO_TIMEOUT: with a read timeout the JDK switches a channel's socket to non-blocking and back
 * around every read (two fcntl calls and a poll per read), about 40 % of a persistent request's CPU
 * (BENCHMARKS.md, round of issue 14). Here the connection stays blocking and one daemon thread looks every
 * quarter of the timeout: when the handler thread has used no CPU since the previous looks (read from
 * /proc/self/task/TID/schedstat, so it has not woken for a single byte) for at least the timeout and its stack
 * is in a socket channel's read, it has waited that long in one read, the condition SO_TIMEOUT tests. It is
 * never closed early; it is closed at most a quarter of the timeout late. A handler that sleeps or waits on
 * anything but a socket channel read is left alone, as with SO_TIMEOUT. Per connection it costs two volatile
 * writes; the watcher wakes four times per timeout.
 */
final class IdleWatch {
    private static final long MIN_TICK_NANOS = 10_000_000L;
    private final long idleNanos;
    private final Thread handler;
    private final Path schedstat;
    private volatile Closeable current;
    private volatile Closeable expired;

    private IdleWatch(long idleMillis, Thread handler, Path schedstat) {
        this.idleNanos = idleMillis * 1_000_000L;
        this.handler = handler;
        this.schedstat = schedstat;
    }

    /**
     * A watch of connections served by the calling thread, its watcher thread started; null when
     * {@code idleMillis} is 0 (no timeout). Throws IOException when the thread's schedstat cannot be read
     * (a kernel without it: the caller then falls back to SO_TIMEOUT).
     */
    static IdleWatch start(long idleMillis) throws IOException {
        if (idleMillis <= 0) {
            return null;
        }
        Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // PID/task/TID
        IdleWatch watch = new IdleWatch(idleMillis, Thread.currentThread(),
                Path.of("/proc").resolve(self).resolve("schedstat"));
        if (watch.cpuNanos() < 0) {
            throw new IOException("cannot read " + watch.schedstat);
        }
        Thread watcher = new Thread(watch.new Watcher(), "prefork-idle-watch");
        watcher.setDaemon(true);
        watcher.start();
        return watch;
    }

    /** The calling (handler) thread now serves {@code connection}: closing it ends a read that waits too long. */
    void begin(Closeable connection) {
        current = connection;
    }

    /** The connection is done (served or failed). */
    void end() {
        current = null;
    }

    /** Whether {@code connection} was closed by this watch for being idle. */
    boolean closedIdle(Closeable connection) {
        return connection != null && expired == connection;
    }

    /** The watching thread's body: a class, not a lambda, so that the class data archive holds it (see WorkerControl). */
    private final class Watcher implements Runnable {
        @Override
        public void run() {
            watch();
        }
    }

    private void watch() {
        long tick = Math.max(MIN_TICK_NANOS, idleNanos / 4);
        Closeable watched = null;
        long cpu = -1, unchangedSince = 0;
        while (true) {
            LockSupport.parkNanos(tick);
            Closeable connection = current;
            if (connection == null) {
                watched = null;
                continue;
            }
            long now = System.nanoTime(), used = cpuNanos();
            if (connection != watched || used != cpu || used < 0) {
                watched = connection;
                cpu = used;
                unchangedSince = now;
            } else if (now - unchangedSince >= idleNanos && readingSocket(handler.getStackTrace())) {
                expired = connection;
                try {
                    connection.close();
                } catch (IOException | RuntimeException ignored) {
                    // the read fails either way; the worker reports it
                }
                watched = null;
            }
        }
    }

    /** The handler thread's CPU time in ns (the first field of its schedstat), or -1 if unreadable. */
    private long cpuNanos() {
        try {
            String text = new String(Files.readAllBytes(schedstat), StandardCharsets.US_ASCII);
            int space = text.indexOf(' ');
            return Long.parseLong(space < 0 ? text.trim() : text.substring(0, space));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether a stack is in a blocking read of a socket channel (conn()'s streams, TLS records included). */
    static boolean readingSocket(StackTraceElement[] stack) {
        for (int i = 0; i < Math.min(stack.length, 16); i++) {
            StackTraceElement frame = stack[i];
            if (frame.getClassName().equals("sun.nio.ch.SocketChannelImpl")
                    && frame.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("read")) {
                return true;
            }
        }
        return false;
    }
}
