package prefork;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Counters since the server started.
 *
 * @param served requests handled by all workers, live and exited
 * @param spawned workers started
 * @param exits exited workers by cause
 * @param busy workers busy now
 * @param idle workers idle now (starting ones not included)
 * @param starting workers booting now
 * @param generation the current generation (1 + reloads)
 * @param peakWorkers the most workers of the current generation, not stopping, the pool ever had at once
 *     (summed over listeners); never above maxServers
 */
public record ServerStats(long served, long spawned, Map<ExitCause, Long> exits, int busy, int idle, int starting,
        long generation, int peakWorkers) {

    /** The sum of several pools' counters (the highest generation). */
    public static ServerStats sum(List<ServerStats> all) {
        Map<ExitCause, Long> exits = new EnumMap<>(ExitCause.class);
        long served = 0, spawned = 0, generation = 0;
        int busy = 0, idle = 0, starting = 0, peak = 0;
        for (ServerStats s : all) {
            served += s.served;
            spawned += s.spawned;
            s.exits.forEach((cause, n) -> exits.merge(cause, n, Long::sum));
            busy += s.busy;
            idle += s.idle;
            starting += s.starting;
            generation = Math.max(generation, s.generation);
            peak += s.peakWorkers;
        }
        return new ServerStats(served, spawned, Map.copyOf(exits), busy, idle, starting, generation, peak);
    }
}
