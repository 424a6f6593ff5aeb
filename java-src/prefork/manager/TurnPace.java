package prefork.manager;

import java.util.Collection;
import prefork.internal.Scoreboard;

/**
 * How long the supervisor waits for a task before its next turn:
 * <ul>
 * <li>{@link #WATCHING_MILLIS} while a worker boots, so that its readiness is noticed (and logged) within 5 ms,
 * and for up to {@link #EXITING_NANOS} after a worker's output pipe ended, until it is reaped (the pipe ends a
 * moment before the kernel makes the process reapable);
 * <li>{@link #CHANGING_MILLIS} while the pool changes: since the previous turn a worker came or went, turned
 * busy or idle, or finished a request; or a worker is stopping, the server shuts down, or the process group of
 * a gone worker is waited for ({@link LingeringGroups}: its KILL then comes within 50 ms of its deadline);
 * <li>{@link #QUIET_MILLIS} once a turn finds nothing changed, so that an idle manager wakes 5 times a second
 * instead of 20.
 * </ul>
 * A task ends any wait at once: a signal, the control plane, and the end of a worker's output pipe
 * ({@link Supervisor#outputEnded}). The price of the quiet pace: a burst that takes every spare worker of a
 * quiet pool is noticed up to 200 ms after it began instead of 50 (Apache's prefork looks once a second).
 * Owned by the supervisor thread.
 */
final class TurnPace {
    static final long WATCHING_MILLIS = 5, CHANGING_MILLIS = 50, QUIET_MILLIS = 200;
    static final long EXITING_NANOS = 1_000_000_000L;
    private long workers = -1, idle = -1, requests = -1;

    /**
     * The wait after a turn that left {@code pool} (every worker the supervisor knows) as it is now;
     * {@code windingDown}: the server shuts down, or a gone worker's process group is waited for.
     */
    long next(Collection<WorkerHandle> pool, Scoreboard scoreboard, boolean windingDown) {
        long now = System.nanoTime(), idleNow = 0, requestsNow = 0;
        boolean watching = false, stopping = false;
        for (WorkerHandle worker : pool) {
            watching |= !worker.ready
                    || worker.outputEndedNanos != 0 && now - worker.outputEndedNanos < EXITING_NANOS;
            stopping |= worker.stopRequested || worker.killed();
            idleNow += scoreboard.state(worker.slot) == Scoreboard.IDLE ? 1 : 0;
            requestsNow += scoreboard.requests(worker.slot);
        }
        boolean changed = pool.size() != workers || idleNow != idle || requestsNow != requests;
        workers = pool.size();
        idle = idleNow;
        requests = requestsNow;
        if (watching) {
            return WATCHING_MILLIS;
        }
        return changed || stopping || windingDown ? CHANGING_MILLIS : QUIET_MILLIS;
    }
}
