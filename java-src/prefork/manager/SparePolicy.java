package prefork.manager;

import prefork.PoolBounds;

/**
 * How many workers to spawn or retire, given the pool's state (Apache prefork's and Net::Server's spare-server
 * rules, not the model's). Workers still starting count as spare, so a batch is not repeated while it boots.
 * When spares run short a batch of the current spawn rate is started, and the rate doubles on each consecutive
 * shortage (1, 2, 4 ... 32) and drops back to 1 once spares suffice, as in Apache's prefork MPM;
 * idle workers beyond maxSpareServers are retired one per {@code retireIntervalNanos} of unbroken surplus,
 * never below minServers, never a busy one. A shortage's batch is also bounded by the room the CPUs have
 * ({@link CpuBusy}, unless growWhenCpuBusy is set): none while every CPU is busy and the workers finish
 * requests, no more than the idle CPUs could run otherwise. A JVM's start costs about 0.15 s of CPU, taken from
 * the workers that serve, and more workers than can run do not serve more (BENCHMARKS.md).
 */
final class SparePolicy {
    static final int MAX_SPAWN_RATE = 32;
    private final long retireIntervalNanos;
    private int spawnRate = 1;
    private static final long NO_SURPLUS = Long.MIN_VALUE;
    private long surplusSince = NO_SURPLUS;

    SparePolicy(long retireIntervalNanos) {
        this.retireIntervalNanos = retireIntervalNanos;
    }

    /** Workers to spawn now, for a pool of {@code total} workers of which {@code spare} are idle or starting. */
    int toSpawn(PoolBounds bounds, int total, int spare) {
        return toSpawn(bounds, total, spare, CpuBusy.NO_LIMIT);
    }

    /**
     * The same, spawning for a shortage of spares at most {@code cpuRoom} workers ({@link CpuBusy#spawnRoom}):
     * with 0 (every CPU is busy: a new worker would only take CPU from the serving ones) only the workers
     * minServers lacks, and the spawn rate does not ramp up meanwhile.
     */
    int toSpawn(PoolBounds bounds, int total, int spare, int cpuRoom) {
        int forMinimum = Math.max(0, bounds.minServers() - total);
        int spareShort = spareShortage(bounds, total, spare);
        if (cpuRoom <= 0 && spareShort > 0) {
            return forMinimum;
        }
        int room = Math.max(0, bounds.maxServers() - total - forMinimum);
        int extra = spareShort > 0 ? Math.min(Math.min(room, spawnRate), cpuRoom) : 0;
        if (extra > 0) {
            spawnRate = Math.min(MAX_SPAWN_RATE, spawnRate * 2);
        } else if (spareShort == 0) {
            spawnRate = 1;
        }
        return forMinimum + extra;
    }

    /**
     * Whether fewer than minSpareServers workers are idle or starting, counting those minServers still lacks
     * (they are spawned anyway) as spare.
     */
    static boolean sparesShort(PoolBounds bounds, int total, int spare) {
        return spareShortage(bounds, total, spare) > 0;
    }

    private static int spareShortage(PoolBounds bounds, int total, int spare) {
        return Math.max(0, bounds.minSpareServers() - spare - Math.max(0, bounds.minServers() - total));
    }

    /**
     * Idle workers to retire now, for a pool of {@code total} workers of which {@code idle} are idle. A surplus
     * must hold at every call for a whole interval before one worker goes (and again for the next), so a load
     * that dips for a moment does not make the pool retire workers and then spawn them again.
     */
    int toRetire(PoolBounds bounds, int total, int idle, long nowNanos) {
        if (total > bounds.maxServers()) {
            return Math.min(idle, total - bounds.maxServers());
        }
        if (idle <= bounds.maxSpareServers() || total <= bounds.minServers()) {
            surplusSince = NO_SURPLUS;
            return 0;
        }
        if (surplusSince == NO_SURPLUS) {
            surplusSince = nowNanos;
        } else if (nowNanos - surplusSince >= retireIntervalNanos) {
            surplusSince = nowNanos;
            return 1;
        }
        return 0;
    }
}
