package prefork;

import java.util.Map;

/**
 * Counters since the server started.
 *
 * @param served requests handled by all workers, live and exited
 * @param spawned workers started
 * @param exits exited workers by cause: "stopped", "recycled", "crashed", "killed", "boot-failed", "timed-out"
 * @param busy workers busy now
 * @param idle workers idle now (starting ones not included)
 * @param starting workers booting now
 * @param generation the current generation (1 + reloads)
 */
public record ServerStats(long served, long spawned, Map<String, Long> exits, int busy, int idle, int starting,
        long generation) {}
