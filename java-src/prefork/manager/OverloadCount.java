package prefork.manager;

import prefork.ListenerSpec;
import prefork.Log;

/**
 * Dispatch mode with overload close: counts the connections closed because every worker was busy at
 * maxServers, and logs the count at most once a second (never a line per connection). Dispatcher thread only.
 */
final class OverloadCount {
    private static final long EVERY_NANOS = 1_000_000_000L;
    private final Log log;
    private long closed;
    private long total;
    private long lastLogNanos = System.nanoTime() - EVERY_NANOS;

    OverloadCount(Log log) {
        this.log = log;
    }

    /** One connection on {@code listener} was accepted and closed at once. */
    void closed(ListenerSpec listener) {
        closed++;
        total++;
        long now = System.nanoTime();
        if (now - lastLogNanos >= EVERY_NANOS) {
            log.log("overload (close): " + closed + " connections closed at once (last on " + listener
                    + "): every worker is busy and maxServers is reached; " + total + " so far");
            closed = 0;
            lastLogNanos = now;
        }
    }

    /** Connections closed for overload since the start. */
    long total() {
        return total;
    }
}
