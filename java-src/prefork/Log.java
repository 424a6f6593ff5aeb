package prefork;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * Where the manager writes one line per lifecycle event (spawn, ready, exit with cause, kill, reload, resize,
 * backoff) and what workers print. Implementations must be thread-safe. The default writes to stderr.
 */
@FunctionalInterface
public interface Log {
    /** Records one event line (no trailing newline). */
    void log(String line);

    /** Reopens the log's file, if it has one (SIGUSR1, after logrotate moved it). Default: nothing. */
    default void reopen() {}

    /** A log that writes "HH:mm:ss.SSS prefork[pid] line" to the manager's stderr. */
    static Log stderr() {
        return line -> System.err.println(stamp(line));
    }

    /**
     * A log that appends "HH:mm:ss.SSS prefork[pid] line" to {@code file} (created if missing) and reopens it
     * on {@link #reopen()}. Throws IOException if the file cannot be opened.
     */
    static Log file(Path file) throws IOException {
        return new FileLog(file);
    }

    /** The line with the time of day and the manager's pid in front. */
    static String stamp(String line) {
        return LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSS")) + " prefork["
                + ProcessHandle.current().pid() + "] " + line;
    }
}
