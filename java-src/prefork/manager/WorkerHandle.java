package prefork.manager;

import java.time.Instant;
import prefork.ExitCause;
import prefork.internal.WorkerFds;

/** The supervisor's own record of one worker process. Owned by the supervisor thread only. */
final class WorkerHandle {
    final int slot;
    final long pid;
    final long generation;
    final long maxRequests;
    final Instant startedAt = Instant.now();
    final long startedNanos = System.nanoTime();
    boolean ready;
    /** nanoTime when it was noticed ready (0 before). */
    long readyNanos;
    boolean stopRequested;
    long stopRequestedNanos;
    /** Why the manager killed it, or null while it has not. */
    ExitCause killCause;
    /** Why its code differs from the record (it is then asked to stop), or null. */
    String stale;
    /** Why the manager asked it to stop, when that is a cause of its own (memory); null otherwise. */
    ExitCause stopCause;
    /** nanoTime when its output pipe ended (it is exiting); 0 while the pipe is open. */
    long outputEndedNanos;
    /** When its memory is next sampled (System.nanoTime); 0 until the memory limit first sees it. */
    long nextMemoryCheckNanos;

    /** The exit status of a JVM whose default TERM / INT handling ran (128 + the signal's number). */
    static final int JVM_EXIT_ON_TERM = 143, JVM_EXIT_ON_INT = 130;

    WorkerHandle(int slot, long pid, long generation, long maxRequests) {
        this.slot = slot;
        this.pid = pid;
        this.generation = generation;
        this.maxRequests = maxRequests;
    }

    boolean killed() {
        return killCause != null;
    }

    /** Why it exited, from what the supervisor knew and its raw wait status (-1: unknown). */
    ExitCause exitCause(int status, long requests) {
        if (killCause != null) {
            return killCause;
        }
        if (stopRequested && !ready && WaitStatus.signal(status) == prefork.internal.Native.SIGTERM) {
            // asked to stop in its JVM's first milliseconds, before even the JVM's own TERM handling: nothing was
            // in flight (a ready worker handles TERM itself, so one that dies of it was killed by something else)
            return stopCause != null ? stopCause : ExitCause.STOPPED;
        }
        if (status == -1 || WaitStatus.signal(status) != 0) {
            return ExitCause.CRASHED;
        }
        int code = WaitStatus.exitCode(status);
        if (code == WorkerFds.EXIT_BOOT_FAILED && !ready) {
            return ExitCause.BOOT_FAILED;
        }
        if (!ready && (code == JVM_EXIT_ON_TERM || code == JVM_EXIT_ON_INT)) {
            return ExitCause.STOPPED; // TERM or INT before the worker installed its own handlers: nothing was in flight
        }
        if (code != 0) {
            return ExitCause.CRASHED;
        }
        if (maxRequests > 0 && requests >= maxRequests) {
            return ExitCause.RECYCLED;
        }
        if (stopRequested) {
            return stopCause != null ? stopCause : ExitCause.STOPPED;
        }
        return ExitCause.EXITED;
    }

    @Override
    public String toString() {
        return "worker slot=" + slot + " pid=" + pid + " gen=" + generation;
    }

    /** Milliseconds since this worker was spawned. */
    long ageMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** A new worker's request limit: maxRequests plus 0..jitter at random; 0 (never) stays 0. */
    static long drawMaxRequests(long maxRequests, long jitter) {
        return maxRequests == 0 ? 0 : maxRequests + (long) (Math.random() * (jitter + 1));
    }
}
