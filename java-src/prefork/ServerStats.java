package prefork;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counters since the server started.
 *
 * @param served requests handled by all workers, live and exited
 * @param spawned workers started
 * @param exits exited workers by cause: "stopped", "recycled", "crashed", "killed", "boot-failed", "boot-timed-out",
 *     "timed-out"
 * @param busy workers busy now
 * @param idle workers idle now (starting ones not included)
 * @param starting workers booting now
 * @param generation the current generation (1 + reloads)
 */
public record ServerStats(long served, long spawned, Map<String, Long> exits, int busy, int idle, int starting,
        long generation) {

    /** The sum of several pools' counters (the highest generation). */
    static ServerStats sum(List<ServerStats> all) {
        Map<String, Long> exits = new TreeMap<>();
        long served = 0, spawned = 0, generation = 0;
        int busy = 0, idle = 0, starting = 0;
        for (ServerStats s : all) {
            served += s.served;
            spawned += s.spawned;
            s.exits.forEach((cause, n) -> exits.merge(cause, n, Long::sum));
            busy += s.busy;
            idle += s.idle;
            starting += s.starting;
            generation = Math.max(generation, s.generation);
        }
        return new ServerStats(served, spawned, Map.copyOf(exits), busy, idle, starting, generation);
    }
}
