package prefork.manager;

import prefork.Log;

/**
 * The crash-loop guard: after a worker dies before becoming ready, spawning pauses for 0.5 s, growing x1.5 with
 * each consecutive failure up to 30 s (as Einhorn does); any worker becoming ready resets it.
 */
final class BootBackoff {
    static final long FIRST_DELAY_NANOS = 500_000_000L, MAX_DELAY_NANOS = 30_000_000_000L;
    private final Log log;
    private int failures;
    private long delayNanos;
    private long notBeforeNanos;

    BootBackoff(Log log) {
        this.log = log;
    }

    /** Whether a worker may be spawned now. */
    boolean maySpawn() {
        return failures == 0 || System.nanoTime() - notBeforeNanos >= 0;
    }

    /** Records a boot failure ({@code worker} may be null when the spawn itself failed) and backs off. */
    void failed(WorkerHandle worker, String error) {
        failures++;
        delayNanos = failures == 1 ? FIRST_DELAY_NANOS : Math.min(MAX_DELAY_NANOS, delayNanos * 3 / 2);
        notBeforeNanos = System.nanoTime() + delayNanos;
        log.log("backoff: " + failures + " consecutive boot failures" + (worker == null ? "" : " (last " + worker + ")")
                + "; next spawn in " + delayNanos / 1_000_000 + " ms; error: " + error);
    }

    /** A worker became ready: spawn freely again. */
    void reset() {
        if (failures > 0) {
            log.log("backoff: cleared after a worker became ready");
        }
        failures = 0;
    }
}
