package prefork;

import java.util.Map;
import java.util.TreeMap;

/** Counters kept by the supervisor thread for {@link ServerStats}. */
final class PoolStatistics {
    private long spawned;
    private long servedByExited;
    private final Map<String, Long> exits = new TreeMap<>();

    void spawned() {
        spawned++;
    }

    void exited(String cause, long requests) {
        exits.merge(cause, 1L, Long::sum);
        servedByExited += requests;
    }

    ServerStats snapshot(long servedByLive, int busy, int idle, int starting, long generation) {
        return new ServerStats(servedByExited + servedByLive, spawned, Map.copyOf(exits), busy, idle, starting,
                generation);
    }
}
