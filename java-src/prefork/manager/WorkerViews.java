package prefork.manager;

import java.time.Instant;
import java.util.Collection;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;
import prefork.internal.Scoreboard;

/**
 * How the supervisor describes its workers to callers: each worker's state from its own record and the
 * scoreboard, {@link WorkerInfo} snapshots, and the pool's {@link ServerStats}. Supervisor thread only.
 */
final class WorkerViews {
    private final Scoreboard scoreboard;
    private final String listener;

    WorkerViews(Scoreboard scoreboard, String listener) {
        this.scoreboard = scoreboard;
        this.listener = listener;
    }

    /** STOPPING once asked to stop or killed, STARTING until ready, then BUSY or IDLE. */
    WorkerState state(WorkerHandle worker) {
        long state = scoreboard.state(worker.slot);
        if (worker.stopRequested || worker.killed() || state == Scoreboard.STOPPING) {
            return WorkerState.STOPPING;
        }
        if (!worker.ready) {
            return WorkerState.STARTING;
        }
        return state == Scoreboard.BUSY ? WorkerState.BUSY : WorkerState.IDLE;
    }

    WorkerInfo info(WorkerHandle worker) {
        return info(worker, state(worker), scoreboard.requests(worker.slot));
    }

    WorkerInfo info(WorkerHandle worker, WorkerState state, long requests) {
        long sinceActive = System.nanoTime() - scoreboard.lastActive(worker.slot);
        Instant lastActive = scoreboard.lastActive(worker.slot) == 0 ? worker.startedAt
                : Instant.now().minusNanos(Math.max(0, sinceActive));
        return new WorkerInfo(worker.slot, worker.pid, state, requests, worker.startedAt, lastActive,
                worker.generation, listener, worker.stale);
    }

    /** The counters so far plus the live workers' busy, idle and starting counts and requests. */
    ServerStats stats(Collection<WorkerHandle> workers, PoolStatistics statistics, long generation, int peakWorkers) {
        int busy = 0, idle = 0, starting = 0;
        long liveRequests = 0;
        for (WorkerHandle worker : workers) {
            WorkerState state = state(worker);
            busy += state == WorkerState.BUSY ? 1 : 0;
            idle += state == WorkerState.IDLE ? 1 : 0;
            starting += state == WorkerState.STARTING ? 1 : 0;
            liveRequests += scoreboard.requests(worker.slot);
        }
        return statistics.snapshot(liveRequests, busy, idle, starting, generation, peakWorkers);
    }
}
