package prefork.manager;

import java.util.Collection;
import java.util.List;
import prefork.Log;

/**
 * Reloads, one at a time. Each reload starts a generation of workers; once enough of it is ready, the workers
 * of earlier generations are told to stop. A reload asked for while a generation is still replacing an
 * earlier one (some of its workers are alive) is pending, and reloads asked for meanwhile join it: it starts
 * when the earlier workers have all exited. So a HUP storm never holds more than the old generation plus
 * maxServers workers, and the last HUP is never lost. Owned by the supervisor thread.
 */
final class Generations {
    private final Log log;
    private final Runnable onStart;
    private long current = 1;
    private boolean pending;

    /** @param onStart run as each new generation starts (it forgets the recorded code changes) */
    Generations(Log log, Runnable onStart) {
        this.log = log;
        this.onStart = onStart;
    }

    /** The generation new workers belong to. */
    long current() {
        return current;
    }

    /**
     * A reload is asked for (HUP, reload()): it starts now, or is pending while one is under way. {@code cause}
     * ("HUP", or null) heads its log line.
     */
    void reload(Collection<WorkerHandle> workers, String cause) {
        String by = cause == null ? "" : cause + ": ";
        if (!earlierAlive(workers)) {
            start(by);
        } else if (!pending) {
            pending = true;
            log.log(by + "reload: generation " + current + " is still replacing an earlier one;"
                    + " one more reload starts once it has (further reloads until then join it)");
        }
    }

    /**
     * Called each turn with whether the current generation is ready: returns the workers of earlier
     * generations to stop now (logged), and starts a pending reload once none of them is left.
     */
    List<WorkerHandle> step(Collection<WorkerHandle> workers, boolean currentReady) {
        if (!currentReady) {
            return List.of();
        }
        if (!pending && !earlierAlive(workers)) {
            return List.of(); // every turn, so the common case first: one generation, nothing to do
        }
        List<WorkerHandle> old = workers.stream().filter(w -> w.generation < current && !w.stopRequested).toList();
        if (!old.isEmpty()) {
            log.log("reload: generation " + current + " is ready; stopping " + old.size()
                    + " workers of earlier generations");
        } else if (pending && !earlierAlive(workers)) {
            start("");
        }
        return old;
    }

    private void start(String by) {
        pending = false;
        current++;
        onStart.run();
        log.log(by + "reload: starting generation " + current);
    }

    private boolean earlierAlive(Collection<WorkerHandle> workers) {
        for (WorkerHandle worker : workers) { // a loop, not a stream: see Supervisor's counts
            if (worker.generation < current) {
                return true;
            }
        }
        return false;
    }
}
