package prefork.worker;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.internal.AccessLine;
import prefork.internal.WorkerFds;

/**
 * The worker's end of the access log (the accessLog option): one {@link AccessLine} per request, written in
 * one write() of at most PIPE_BUF bytes to fd 6. When fd 6 is the log file (the manager opened it O_APPEND),
 * the worker appends to it itself: each line is one atomic append, and no process is woken for it; once a
 * second at most it checks whether the file's name now leads to another file (the manager reopened it on USR1
 * after a rotation) and then appends there. Otherwise fd 6 is a pipe the manager drains. Made only when the
 * option is on; otherwise the worker holds null and pays nothing per request.
 */
final class AccessLog {
    private static final int PIPE_BUF = 4096;
    private static final long CHECK_NANOS = 1_000_000_000L;
    private final long pid = ProcessHandle.current().pid();
    private final String listener;
    /** The file's name when fd 6 is a file, else null. */
    private final Path file;
    private OutputStream out;
    private Object inode;
    private long checked = System.nanoTime();
    private boolean broken;

    private AccessLog(OutputStream out, String listener, Path file, Object inode) {
        this.out = out;
        this.listener = listener;
        this.file = file;
        this.inode = inode;
    }

    /** The access log of a worker serving {@code listener}, or null when the launch has none. */
    static AccessLog open(WorkerLaunch launch) throws IOException {
        if (!launch.accessLog()) {
            return null;
        }
        Path fd = Path.of(WorkerFds.path(WorkerFds.ACCESS_LOG));
        String listener = launch.listener().toString();
        if (!Files.isRegularFile(fd)) {
            return new AccessLog(new FileOutputStream(fd.toString()), listener, null, null);
        }
        Path file = Files.readSymbolicLink(fd);
        return new AccessLog(new FileOutputStream(fd.toString(), true), listener, file, inode(fd));
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
        long now = System.nanoTime();
        long duration = now - startNanos;
        String line = AccessLine.format(System.currentTimeMillis() - duration / 1_000_000, pid, listener, client,
                duration, outcome);
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (bytes.length > PIPE_BUF) {
            bytes = java.util.Arrays.copyOf(bytes, PIPE_BUF);
            bytes[PIPE_BUF - 1] = '\n';
        }
        try {
            if (file != null && now - checked >= CHECK_NANOS) {
                checked = now;
                followRotation();
            }
            out.write(bytes);
        } catch (IOException e) {
            broken = true;
            Worker.log("the access log failed, no more access lines: " + e);
        }
    }

    /** Appends to the file the name leads to now, if that is another file than before (a reopen after rotation). */
    private void followRotation() throws IOException {
        Object now;
        try {
            now = inode(file);
        } catch (IOException e) {
            return; // moved away and not created again yet: the manager has not reopened it
        }
        if (!now.equals(inode)) {
            OutputStream reopened = new FileOutputStream(file.toString(), true);
            out.close();
            out = reopened;
            inode = now;
        }
    }

    private static Object inode(Path path) throws IOException {
        return Files.getAttribute(path, "unix:ino");
    }
}
