package prefork;

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

    /** A log that writes "HH:mm:ss.SSS prefork[pid] line" to the manager's stderr. */
    static Log stderr() {
        DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
        long pid = ProcessHandle.current().pid();
        return line -> System.err.println(LocalTime.now().format(time) + " prefork[" + pid + "] " + line);
    }
}
