package prefork.manager;

import java.util.EnumMap;
import java.util.Map;
import prefork.ExitCause;
import prefork.ServerStats;

/** Counters kept by the supervisor thread for {@link ServerStats}. */
final class PoolStatistics {
    private long spawned;
    private long servedByExited;
    private final Map<ExitCause, Long> exits = new EnumMap<>(ExitCause.class);

    void spawned() {
        spawned++;
    }

    void exited(ExitCause cause, long requests) {
        exits.merge(cause, 1L, Long::sum);
        servedByExited += requests;
    }

    ServerStats snapshot(long servedByLive, int busy, int idle, int starting, long generation, int peakWorkers) {
        return new ServerStats(servedByExited + servedByLive, spawned, Map.copyOf(exits), busy, idle, starting,
                generation, peakWorkers);
    }
}
