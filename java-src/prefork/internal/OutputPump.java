package prefork.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The pipe every worker's stdout and stderr are connected to, and a daemon thread that passes each line to the
 * manager's log. The thread ends at EOF: once the manager has closed its write end and every worker has exited.
 */
public final class OutputPump implements AutoCloseable {
    private final int readFd;
    private final int writeFd;
    private final Consumer<String> sink;

    private OutputPump(int readFd, int writeFd, Consumer<String> sink) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.sink = sink;
    }

    /** Creates the pipe and starts the thread "prefork-worker-output". */
    public static OutputPump start(Consumer<String> sink) throws IOException {
        int[] fds = new int[2];
        Native.check(Native.libc().pipe2(fds, Native.O_CLOEXEC), "pipe2");
        OutputPump pump = new OutputPump(fds[0], fds[1], sink);
        Thread thread = new Thread(pump::pump, "prefork-worker-output");
        thread.setDaemon(true);
        thread.start();
        return pump;
    }

    /** The write end, for workers' fds 1 and 2. */
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
                if (buffer[i] == '\n') {
                    emit(line);
                } else {
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
