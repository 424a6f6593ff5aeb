package prefork.manager;

import java.time.Instant;
import java.util.Collection;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;
import prefork.internal.Scoreboard;

/** What the supervisor's records and the scoreboard say about workers, as the public API shows it. */
final class WorkerViews {
    private final Scoreboard scoreboard;
    private final String listener;

    WorkerViews(Scoreboard scoreboard, String listener) {
        this.scoreboard = scoreboard;
        this.listener = listener;
    }

    /** Stopping (asked, killed, or on its way out by itself), starting, busy or idle. */
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
                worker.generation, listener);
    }

    /** The counters of {@code statistics} with the current busy, idle and starting counts of {@code workers}. */
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
