package prefork.manager;

import java.util.Collection;
import java.util.function.Consumer;
import prefork.ExitCause;
import prefork.Log;
import prefork.Options;
import prefork.internal.Scoreboard;

/**
 * Every worker state has a deadline: busy on one connection (timeout), starting (startTimeout), stopping for
 * any reason, asked or by itself after maxRequests (gracefulTimeout, outside a shutdown, whose own deadline
 * rules then), taking a connection passed to it (dispatchTimeout, dispatch mode). A worker past its deadline is killed (SIGKILL) with one log line. A worker whose scoreboard
 * says it is stopping is marked so here, and from then on no longer counts against the live pool.
 */
final class HungWorkers {
    private final ServerConfig config;
    private final Scoreboard scoreboard;
    private final WorkerProcesses processes;
    private final Log log;

    HungWorkers(ServerConfig config, Scoreboard scoreboard, WorkerProcesses processes) {
        this.config = config;
        this.scoreboard = scoreboard;
        this.processes = processes;
        this.log = config.log();
    }

    /** Kills the workers past their deadline; {@code timedOut} is told of each one killed for the busy timeout. */
    void check(Collection<WorkerHandle> workers, boolean shuttingDown, Consumer<WorkerHandle> timedOut) {
        long limit = config.get(Options.TIMEOUT).toNanos();
        long graceLimit = config.get(Options.GRACEFUL_TIMEOUT).toNanos();
        long now = System.nanoTime();
        for (WorkerHandle worker : workers) {
            long state = scoreboard.state(worker.slot);
            long busyFor = now - scoreboard.busySince(worker.slot);
            if (state == Scoreboard.STOPPING && !worker.stopRequested) {
                worker.stopRequested = true;
                worker.stopRequestedNanos = now;
            }
            if (worker.killed()) {
                continue;
            }
            if (state == Scoreboard.BUSY && limit > 0 && busyFor > limit) {
                kill(worker, ExitCause.TIMED_OUT);
                log.log(worker + " busy for " + busyFor / 1_000_000 + " ms on a connection from port "
                        + scoreboard.remotePort(worker.slot) + ": killed (timeout " + config.get(Options.TIMEOUT) + ")");
                timedOut.accept(worker);
            } else if (processes.unresponsive(worker.pid)) {
                kill(worker, ExitCause.TIMED_OUT);
                log.log(worker + " did not take a connection within " + config.get(Options.DISPATCH_TIMEOUT)
                        + " (dispatchTimeout): killed");
                timedOut.accept(worker);
            } else if (!worker.ready && now - worker.startedNanos > config.get(Options.START_TIMEOUT).toNanos()) {
                kill(worker, ExitCause.BOOT_TIMED_OUT);
                log.log(worker + " not ready after " + config.get(Options.START_TIMEOUT) + " (startTimeout): killed");
            } else if (worker.stopRequested && !shuttingDown && now - worker.stopRequestedNanos > graceLimit) {
                kill(worker, ExitCause.KILLED);
                log.log(worker + " did not stop within " + config.get(Options.GRACEFUL_TIMEOUT) + ": killed");
            }
        }
    }

    /** Kills {@code worker} now (SIGKILL), recording why. */
    void kill(WorkerHandle worker, ExitCause cause) {
        worker.killCause = cause;
        processes.kill(worker.pid);
    }
}
