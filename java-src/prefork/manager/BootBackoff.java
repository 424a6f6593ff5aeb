package prefork.manager;

import java.util.Collection;
import prefork.ExitCause;
import prefork.Log;

/**
 * The crash-loop guard. After a worker dies before becoming ready (a boot failure), or soon after (an early
 * crash: within {@link #PROBATION_NANOS} of becoming ready, or before {@link #PROBATION_REQUESTS} requests),
 * spawning pauses for 0.5 s, growing x1.5 with each consecutive failure up to 30 s (as Einhorn does). One
 * line per failure (the delay changes) and one when it clears. A run of boot failures clears when a worker
 * becomes ready; once an early crash is among them, only a worker that stays up past its probation clears
 * it, since a handler that crashes on every request still lets each worker become ready.
 */
final class BootBackoff {
    static final long FIRST_DELAY_NANOS = 500_000_000L, MAX_DELAY_NANOS = 30_000_000_000L;
    /** A ready worker that exits unasked sooner than this, or before this many requests, crashed early. */
    static final long PROBATION_NANOS = 5_000_000_000L, PROBATION_REQUESTS = 3;
    private final Log log;
    private int failures;
    private boolean earlyCrash;
    private long delayNanos;
    private long notBeforeNanos;
    private long lastFailureNanos;

    BootBackoff(Log log) {
        this.log = log;
    }

    /** Whether a worker may be spawned now. */
    boolean maySpawn() {
        return failures == 0 || System.nanoTime() - notBeforeNanos >= 0;
    }

    /** Records a boot failure ({@code worker} may be null when the spawn itself failed) and backs off. */
    void failed(WorkerHandle worker, String error) {
        backOff("boot failures", worker, "error: " + error);
    }

    /**
     * Whether a ready worker that exited unasked with raw wait {@code status} after {@code requests} requests
     * crashed early. Kills from outside (SIGKILL, SIGTERM, SIGINT: an operator, a chaos test) are not crashes:
     * their replacements start at once.
     */
    static boolean isEarlyCrash(WorkerHandle worker, int status, long requests, long nowNanos) {
        int signal = WaitStatus.signal(status);
        boolean killedFromOutside = status != -1 && (signal == 9 || signal == 15 || signal == 2);
        return worker.ready && !killedFromOutside
                && (nowNanos - worker.readyNanos < PROBATION_NANOS || requests < PROBATION_REQUESTS);
    }

    /**
     * A ready worker exited with {@code cause}, outside a shutdown: if it exited unasked (crashed, or exited by
     * itself) early ({@link #isEarlyCrash}), records an early crash and backs off.
     */
    void exited(WorkerHandle worker, ExitCause cause, int status, long requests) {
        if ((cause == ExitCause.CRASHED || cause == ExitCause.EXITED)
                && isEarlyCrash(worker, status, requests, System.nanoTime())) {
            crashedEarly(worker, requests, WaitStatus.describe(status));
        }
    }

    /** Clears a failure run once one of {@code workers} has stayed up past its probation ({@link #clearedBy}). */
    void checkSurvivors(Collection<WorkerHandle> workers) {
        if (failures == 0) {
            return; // every turn, so nothing more while there is no failure run
        }
        long now = System.nanoTime();
        if (workers.stream().anyMatch(w -> clearedBy(w, now))) {
            survived();
        }
    }

    /** Records an early crash (see {@link #isEarlyCrash}) and backs off. */
    void crashedEarly(WorkerHandle worker, long requests, String status) {
        earlyCrash = true;
        backOff("early crashes", worker, (System.nanoTime() - worker.readyNanos) / 1_000_000 + " ms after it was ready, "
                + requests + " requests: " + status);
    }

    private void backOff(String what, WorkerHandle worker, String detail) {
        failures++;
        lastFailureNanos = System.nanoTime();
        delayNanos = failures == 1 ? FIRST_DELAY_NANOS : Math.min(MAX_DELAY_NANOS, delayNanos * 3 / 2);
        notBeforeNanos = System.nanoTime() + delayNanos;
        log.log("backoff: " + failures + " consecutive " + what + (worker == null ? "" : " (last " + worker + ")")
                + "; next spawn in " + delayNanos / 1_000_000 + " ms; " + detail);
    }

    /** A worker became ready: a run of boot failures only is over. */
    void ready() {
        if (!earlyCrash) {
            clear("backoff: cleared after a worker became ready");
        }
    }

    /** A worker has been ready for longer than its probation: any run of failures is over. */
    void survived() {
        clear("backoff: cleared after a worker became ready and stayed up " + PROBATION_NANOS / 1_000_000_000 + " s");
    }

    /**
     * Whether {@code worker} ends a failure run: it became ready after the last failure and has stayed up
     * for its probation since.
     */
    boolean clearedBy(WorkerHandle worker, long nowNanos) {
        return failures > 0 && worker.ready && worker.readyNanos - lastFailureNanos > 0
                && nowNanos - worker.readyNanos >= PROBATION_NANOS;
    }

    private void clear(String line) {
        if (failures > 0) {
            log.log(line);
        }
        failures = 0;
        earlyCrash = false;
    }
}
