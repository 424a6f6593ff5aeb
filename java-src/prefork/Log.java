package prefork;

import java.io.IOException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
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

    /** How {@link #stamp} writes the time: ISO-8601 date, time to the millisecond and UTC offset. */
    DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSxxx");

    /** A log that writes "2026-12-01T20:44:30.123+01:00 prefork[pid] line" to the manager's stderr. */
    static Log stderr() {
        return line -> System.err.println(stamp(line));
    }

    /**
     * A log that appends stamped lines ({@link #stamp}) to {@code file} (created if missing) and reopens it
     * on {@link #reopen()}. Throws IOException if the file cannot be opened.
     */
    static Log file(Path file) throws IOException {
        return new FileLog(file);
    }

    /** The line with the date, time and offset ({@link #TIME}) and the manager's pid in front. */
    static String stamp(String line) {
        return OffsetDateTime.now().format(TIME) + " prefork[" + ProcessHandle.current().pid() + "] " + line;
    }
}
