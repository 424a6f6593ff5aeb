package prefork.worker;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import prefork.internal.AccessLine;
import prefork.internal.WorkerFds;

/**
 * The worker's end of the access log (the accessLog option): one {@link AccessLine} per request, written in
 * one write() of at most PIPE_BUF bytes into the pipe on fd 6, which the manager drains into the file. Made
 * only when the option is on; otherwise the worker holds null and pays nothing per request.
 */
final class AccessLog {
    private static final int PIPE_BUF = 4096;
    private final OutputStream pipe;
    private final long pid = ProcessHandle.current().pid();
    private final String listener;
    private boolean broken;

    private AccessLog(OutputStream pipe, String listener) {
        this.pipe = pipe;
        this.listener = listener;
    }

    /** The access log of a worker serving {@code listener}, or null when the launch has none. */
    static AccessLog open(WorkerLaunch launch) throws IOException {
        return launch.accessLog()
                ? new AccessLog(new FileOutputStream(WorkerFds.path(WorkerFds.ACCESS_LOG)), launch.listener().toString())
                : null;
    }

    /** Records a request that began at {@code startNanos} (System.nanoTime) and has just ended. */
    void record(long startNanos, InetSocketAddress client, Throwable failure, boolean denied) {
        record(startNanos, client, failure != null ? AccessLine.Outcome.FAILED
                : denied ? AccessLine.Outcome.DENIED : AccessLine.Outcome.SERVED);
    }

    /** Records a connection that began at {@code startNanos} and ended with {@code outcome}. */
    void record(long startNanos, InetSocketAddress client, AccessLine.Outcome outcome) {
        if (broken) {
            return;
        }
        long duration = System.nanoTime() - startNanos;
        String line = AccessLine.format(System.currentTimeMillis() - duration / 1_000_000, pid, listener, client,
                duration, outcome);
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > PIPE_BUF) {
            bytes = java.util.Arrays.copyOf(bytes, PIPE_BUF);
            bytes[PIPE_BUF - 1] = '\n';
        }
        try {
            pipe.write(bytes);
        } catch (IOException e) {
            broken = true;
            Worker.log("the access log pipe failed, no more access lines: " + e);
        }
    }
}
