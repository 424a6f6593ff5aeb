package prefork.manager;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import prefork.InvalidOptionException;
import prefork.Options;
import prefork.internal.Native;

/**
 * Where the access log goes (the accessLog option): a file, appended to and reopened by name with the log
 * (USR1), or the manager's stdout for "-". Workers of a file append their lines (prefork.internal.AccessLine)
 * to it themselves, through {@link #workerFd()} (measured: the manager's hop through a pipe cost more CPU per
 * connection than the rest of the request); lines of workers that run as another user, and of stdout, come
 * through the access pipe and {@link #line}, as do the supervisor's (requests cut off by a worker's death).
 * Thread-safe; a write error is reported once on stderr and the line dropped.
 */
public final class AccessLogFile implements AutoCloseable {
    private static final int FLAGS = Native.O_WRONLY | Native.O_APPEND | Native.O_CREAT | Native.O_CLOEXEC;
    private final Path file;
    /** The file opened O_APPEND for workers (placed on their fd 6); the same number after a reopen; -1 for stdout. */
    private final int workerFd;
    private Writer out;
    private boolean failed;

    private AccessLogFile(Path file, Writer out, int workerFd) {
        this.file = file;
        this.out = out;
        this.workerFd = workerFd;
    }

    /**
     * The access log the accessLog option asks for, or null when it is off; throws InvalidOptionException
     * naming the option when the file cannot be opened.
     */
    public static AccessLogFile open(ServerConfig config) {
        String target = config.get(Options.ACCESS_LOG);
        try {
            return target == null ? null : open(target);
        } catch (IOException e) {
            throw new InvalidOptionException(Options.ACCESS_LOG, target, "cannot be opened: " + e.getMessage());
        }
    }

    /** Opens {@code target} ("-" for stdout); throws IOException when the file cannot be opened. */
    static AccessLogFile open(String target) throws IOException {
        if (target.equals("-")) {
            return new AccessLogFile(null, new OutputStreamWriter(System.out, StandardCharsets.UTF_8), -1);
        }
        Path file = Path.of(target);
        Writer out = writer(file);
        try {
            return new AccessLogFile(file, out, Native.check(Native.libc().open(target, FLAGS, 0666), "open " + target));
        } catch (IOException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The fd for workers to append their own lines to (their fd 6: {@code prefork.worker.AccessLog}), or -1 when
     * the log is stdout. It names the current file: {@link #reopen} moves it onto the new one.
     */
    public int workerFd() {
        return workerFd;
    }

    private static Writer writer(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Appends one line (a newline is added) and flushes. */
    public synchronized void line(String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            if (!failed) {
                failed = true;
                System.err.println("prefork: cannot write the access log " + (file == null ? "(stdout)" : file)
                        + ": " + e);
            }
        }
    }

    /** Reopens the file by name (after logrotate moved it); stdout is left alone. */
    public synchronized void reopen() {
        if (file == null) {
            return;
        }
        try {
            int fd = Native.check(Native.libc().open(file.toString(), FLAGS, 0666), "open " + file);
            Writer reopened;
            try {
                reopened = writer(file);
                Native.check(Native.libc().dup3(fd, workerFd, Native.O_CLOEXEC), "dup3 " + file);
            } finally {
                Native.closeQuietly(fd);
            }
            out.close();
            out = reopened;
            failed = false;
        } catch (IOException e) {
            System.err.println("prefork: cannot reopen the access log " + file + ": " + e + "; still writing the old file");
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (file == null) {
                out.flush();
            } else {
                out.close();
                Native.closeQuietly(workerFd);
            }
        } catch (IOException ignored) {
            // nothing more to write
        }
    }
}
