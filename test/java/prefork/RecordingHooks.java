package prefork;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Manager hooks that record every worker becoming ready, timing out and exiting, for tests to wait on. */
public final class RecordingHooks implements ManagerHooks {
    /** One reaped worker: its last snapshot, why it exited, its raw wait status. */
    public record Exit(WorkerInfo worker, ExitCause cause, int status) {
        /** The signal that ended it, or 0. */
        public int signal() {
            return status == -1 ? 0 : status & 0x7f;
        }
    }

    public final List<WorkerInfo> ready = new CopyOnWriteArrayList<>();
    public final List<Exit> exits = new CopyOnWriteArrayList<>();
    public final List<WorkerInfo> timedOut = new CopyOnWriteArrayList<>();

    @Override
    public void workerTimedOut(PreforkServer server, WorkerInfo worker) {
        timedOut.add(worker);
    }

    @Override
    public void workerReady(PreforkServer server, WorkerInfo worker) {
        ready.add(worker);
    }

    @Override
    public void workerExited(PreforkServer server, WorkerInfo worker, ExitCause cause, int status) {
        exits.add(new Exit(worker, cause, status));
    }

    /** How many workers exited with {@code cause}. */
    public long count(ExitCause cause) {
        return exits.stream().filter(e -> e.cause() == cause).count();
    }

    /** Waits until worker {@code pid} has exited; returns its exit. */
    public Exit awaitExit(long pid, Duration limit) {
        Await.until(limit, "worker " + pid + " exits", () -> exits.stream().anyMatch(e -> e.worker().pid() == pid));
        return exits.stream().filter(e -> e.worker().pid() == pid).findFirst().orElseThrow();
    }

    /** Waits until some worker has exited with {@code cause}; returns the first such exit. */
    public Exit awaitCause(ExitCause cause, Duration limit) {
        Await.until(limit, "a worker exits " + cause, () -> count(cause) > 0);
        return exits.stream().filter(e -> e.cause() == cause).findFirst().orElseThrow();
    }
}
