package prefork.manager;

import java.util.function.IntSupplier;
import prefork.Log;

/**
 * Tells the log when a pool is saturated: every worker busy and maxServers reached, so new connections wait in
 * the kernel's accept queue (Apache's "server reached MaxRequestWorkers"). One line when it starts, with the
 * queue's length, and one when it has been over for a whole second (a pool at its limit that frees a worker
 * for an instant now and then stays saturated). Owned by the supervisor thread.
 */
final class SaturationWatch {
    private static final long CLEAR_AFTER_NANOS = 1_000_000_000L;
    private final Log log;
    private IntSupplier acceptQueue = () -> -1;
    private boolean saturated;
    /** The last turn's observation, for the dispatcher's overload policy (another thread). */
    private volatile boolean atMax;
    private long since;
    private boolean eased;
    private long easedSince;

    SaturationWatch(Log log) {
        this.log = log;
    }

    /** Whether the last turn saw every worker busy and maxServers reached; readable from any thread. */
    boolean atMax() {
        return atMax;
    }

    /** Where the queue length comes from (-1: unknown); by default it is unknown. */
    void acceptQueue(IntSupplier length) {
        acceptQueue = length;
    }

    /** Called each turn: whether every one of {@code maxServers} workers is busy now. */
    void observe(boolean allBusyAtMax, int maxServers, long nowNanos) {
        atMax = allBusyAtMax;
        if (allBusyAtMax) {
            eased = false;
            if (!saturated) {
                saturated = true;
                since = nowNanos;
                int queued = acceptQueue.getAsInt();
                log.log("pool saturated: all " + maxServers + " workers are busy and maxServers is reached"
                        + (queued >= 0 ? "; " + queued + " connections wait in the accept queue" : ""));
            }
        } else if (saturated) {
            if (!eased) {
                eased = true;
                easedSince = nowNanos;
            } else if (nowNanos - easedSince >= CLEAR_AFTER_NANOS) {
                saturated = false;
                eased = false;
                log.log("pool no longer saturated, after " + (easedSince - since) / 1_000_000 + " ms");
            }
        }
    }
}
