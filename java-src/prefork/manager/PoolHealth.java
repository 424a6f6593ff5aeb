package prefork.manager;

/**
 * What a supervisor publishes after every turn of its loop, for health and readiness probes (/healthz,
 * /readyz) on other threads: they must answer even when the supervisor is stuck, so they never ask it.
 */
final class PoolHealth {
    private volatile long lastTurnNanos = System.nanoTime();
    private volatile boolean ready;
    private volatile boolean stopping;

    /** The supervisor finished a turn. */
    void turned(boolean readyNow, boolean stoppingNow) {
        ready = readyNow;
        stopping = stoppingNow;
        lastTurnNanos = System.nanoTime();
    }

    /** The supervisor's loop has ended. */
    void stopped() {
        stopping = true;
        lastTurnNanos = 0;
    }

    /** Whether the loop turned within the last {@code withinNanos} (false once it has ended). */
    boolean turning(long withinNanos) {
        long last = lastTurnNanos;
        return last != 0 && System.nanoTime() - last < withinNanos;
    }

    /**
     * At least minServers workers are ready and not asked to stop (of any generation: during a reload the old
     * ones serve until the new ones are ready), and the pool is not stopping.
     */
    boolean ready() {
        return ready && !stopping;
    }
}
