package prefork.manager;

import prefork.internal.Native;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * A pipe whose write end workers inherit, and a daemon thread in the manager that passes each line read from it
 * to a sink. Used for the workers' replies to evaluations and for the access log (their output has a pipe each:
 * WorkerOutput). Writes of at most PIPE_BUF (4096) bytes are atomic, so one-line messages from many workers do
 * not interleave. The thread
 * ends at EOF: once the manager has closed its write end and every worker has exited.
 */
public final class LinePipe implements AutoCloseable {
    /** A longer line is passed on in pieces of this size: a worker cannot make the manager buffer without end. */
    static final int MAX_LINE_BYTES = 65536;
    private final int readFd;
    private final int writeFd;
    private final Consumer<String> sink;

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
            for (int i = 0; i < n; i++) {
                if (buffer[i] == '\n' || line.size() >= MAX_LINE_BYTES) {
                    emit(line);
                }
                if (buffer[i] != '\n') {
                    line.write(buffer[i]);
                }
            }
        }
        emit(line);
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
