package prefork.manager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import prefork.internal.Scoreboard;

/**
 * One supervisor turn's count of the current generation's workers that are not asked to stop: how many there are,
 * how many still boot, how many are idle, and the sum of their request counts (whether the pool makes progress).
 */
record PoolCensus(List<WorkerHandle> current, int starting, int idle, long requestsHandled, Scoreboard scoreboard) {

    /** Counts {@code workers} of {@code generation} from their handles and scoreboard slots. */
    static PoolCensus of(Collection<WorkerHandle> workers, long generation, Scoreboard scoreboard) {
        List<WorkerHandle> current = new ArrayList<>(workers.size()); // a loop: see Supervisor's counts
        int starting = 0, idle = 0;
        long handled = 0;
        for (WorkerHandle worker : workers) {
            if (worker.generation != generation || worker.stopRequested) {
                continue;
            }
            current.add(worker);
            handled += scoreboard.requests(worker.slot);
            if (!worker.ready) {
                starting++;
            } else if (scoreboard.state(worker.slot) == Scoreboard.IDLE) {
                idle++;
            }
        }
        return new PoolCensus(current, starting, idle, handled, scoreboard);
    }

    int total() {
        return current.size();
    }

    /** Up to {@code count} ready idle workers, oldest first: the ones to retire. */
    List<WorkerHandle> oldestIdle(int count) {
        if (count == 0) {
            return List.of();
        }
        return current.stream()
                .filter(w -> w.ready && scoreboard.state(w.slot) == Scoreboard.IDLE)
                .sorted(Comparator.comparing(w -> w.startedAt))
                .limit(count)
                .toList();
    }
}
