package prefork.manager;

import prefork.internal.Native;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A pipe whose write end workers inherit, and a daemon thread in the manager that passes each line read from it
 * to a sink. Used for workers' stdout and stderr (to the log) and for their replies to evaluations. Writes of at
 * most PIPE_BUF (4096) bytes are atomic, so one-line messages from many workers do not interleave. The thread
 * ends at EOF: once the manager has closed its write end and every worker has exited.
 */
public final class LinePipe implements AutoCloseable {
    /** A longer line is passed on in pieces of this size: a worker cannot make the manager buffer without end. */
    static final int MAX_LINE_BYTES = 65536;
    private final int readFd;
    private final int writeFd;
    private final Consumer<String> sink;
    /** Bytes the pump has read from the pipe, and bytes it has passed on (both written by the pump only). */
    private volatile long read;
    private volatile long passedOn;
    private volatile boolean ended;

    private LinePipe(int readFd, int writeFd, Consumer<String> sink) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.sink = sink;
    }

    /** Creates the pipe and starts the daemon thread {@code threadName}. */
    public static LinePipe start(String threadName, Consumer<String> sink) throws IOException {
        int[] fds = new int[2];
        Native.check(Native.libc().pipe2(fds, Native.O_CLOEXEC), "pipe2");
        LinePipe pump = new LinePipe(fds[0], fds[1], sink);
        Thread thread = new Thread(pump::pump, threadName);
        thread.setDaemon(true);
        thread.start();
        return pump;
    }

    /** The write end, for workers. */
    public int writeFd() {
        return writeFd;
    }

    /**
     * Waits, at most {@code limit}, until every byte that is in the pipe now has been passed on to the sink (a
     * line without its newline yet stays pending). Returns whether that happened in time.
     */
    public boolean awaitDrained(Duration limit) {
        long target;
        int[] pending = new int[1];
        if (ended) {
            return true;
        }
        do {
            target = read;
            if (Native.libc().ioctl(readFd, Native.FIONREAD, pending) < 0) {
                return false;
            }
        } while (target != read);
        target += pending[0];
        long deadline = System.nanoTime() + limit.toNanos();
        while (passedOn < target && !ended) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(200_000);
        }
        return true;
    }

    /** Closes the manager's write end; the thread drains what workers still write, then ends. */
    @Override
    public void close() {
        Native.closeQuietly(writeFd);
    }

    private void pump() {
        byte[] buffer = new byte[8192];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            long n = Native.libc().read(readFd, buffer, buffer.length);
            if (n < 0 && Native.errno() == Native.EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            read += n;
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n' || line.size() >= MAX_LINE_BYTES) {
                    emit(line);
                }
                if (buffer[i] != '\n') {
                    line.write(buffer[i]);
                }
            }
            passedOn += n;
        }
        emit(line);
        ended = true;
        Native.closeQuietly(readFd);
    }

    private void emit(ByteArrayOutputStream line) {
        if (line.size() > 0) {
            try {
                sink.accept(line.toString(StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                // a failing log must not stop the pump
            }
            line.reset();
        }
    }
}
