package prefork.manager;

import java.util.Collection;
import java.util.concurrent.ThreadLocalRandom;
import prefork.Options;

/**
 * The maxWorkerMemory option: the supervisor samples each ready worker's PSS (smaps_rollup, a page walk of a
 * few milliseconds) or RSS (statm, tens of microseconds) every memoryCheckInterval, randomized by ±50% per
 * sample, so workers that grow together are sampled, and replaced, at different times. A worker over the limit is asked to stop after its current request (never cut off); its
 * exit is counted under cause memory. Made only when the option is set: without it the supervisor pays nothing.
 */
final class MemoryLimit {
    /** What to do with a worker over the limit: ask it to stop, saying why. */
    @FunctionalInterface
    interface OverLimit {
        void stop(WorkerHandle worker, String why);
    }

    private final long limitBytes;
    private final boolean rss;
    private final long intervalNanos;

    private MemoryLimit(long limitBytes, boolean rss, long intervalNanos) {
        this.limitBytes = limitBytes;
        this.rss = rss;
        this.intervalNanos = intervalNanos;
    }

    /** The limit the options ask for, or null when maxWorkerMemory is off. */
    static MemoryLimit of(ServerConfig config) {
        Long limit = config.get(Options.MAX_WORKER_MEMORY);
        return limit == null ? null : new MemoryLimit(limit, config.get(Options.MAX_WORKER_MEMORY_KIND).equals("rss"),
                config.get(Options.MEMORY_CHECK_INTERVAL).toNanos());
    }

    /** Samples the ready, not stopping workers whose next sample is due; stops those over the limit. */
    void check(Collection<WorkerHandle> workers, OverLimit overLimit) {
        long now = System.nanoTime();
        for (WorkerHandle worker : workers) {
            if (!worker.ready || worker.stopRequested || worker.killed()) {
                continue;
            }
            if (worker.nextMemoryCheckNanos == 0) {
                worker.nextMemoryCheckNanos = now + jittered();
                continue;
            }
            if (now - worker.nextMemoryCheckNanos < 0) {
                continue;
            }
            worker.nextMemoryCheckNanos = now + jittered();
            long used = rss ? ProcessFacts.rss(worker.pid) : ProcessFacts.memory(worker.pid)[1];
            if (used > limitBytes) {
                worker.stopCause = prefork.ExitCause.MEMORY;
                overLimit.stop(worker, "uses " + mebibytes(used) + " " + (rss ? "RSS" : "PSS") + ", over "
                        + Options.MAX_WORKER_MEMORY.kebab() + " " + mebibytes(limitBytes));
            }
        }
    }

    private long jittered() {
        return intervalNanos / 2 + ThreadLocalRandom.current().nextLong(intervalNanos + 1);
    }

    private static String mebibytes(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
