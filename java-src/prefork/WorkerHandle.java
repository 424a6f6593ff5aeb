package prefork;

import java.time.Instant;

/** The supervisor's own record of one worker process. Owned by the supervisor thread only. */
final class WorkerHandle {
    final int slot;
    final long pid;
    final long generation;
    final long maxRequests;
    final Instant startedAt = Instant.now();
    final long startedNanos = System.nanoTime();
    boolean ready;
    boolean stopRequested;
    long stopRequestedNanos;
    boolean killed;
    String killCause;

    WorkerHandle(int slot, long pid, long generation, long maxRequests) {
        this.slot = slot;
        this.pid = pid;
        this.generation = generation;
        this.maxRequests = maxRequests;
    }

    @Override
    public String toString() {
        return "worker slot=" + slot + " pid=" + pid + " gen=" + generation;
    }
}
