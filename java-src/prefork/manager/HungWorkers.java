package prefork.manager;

import java.util.Collection;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import prefork.ExitCause;
import prefork.Options;
import prefork.internal.Scoreboard;

/**
 * The supervisor's deadlines: a worker busy longer than timeout, booting longer than startTimeout, or stopping
 * longer than gracefulTimeout (outside a shutdown, which has its own deadline) is killed. Supervisor thread only.
 */
final class HungWorkers {
    private final ServerConfig config;
    private final Scoreboard scoreboard;

    HungWorkers(ServerConfig config, Scoreboard scoreboard) {
        this.config = config;
        this.scoreboard = scoreboard;
    }

    /**
     * Kills (through {@code kill}) every worker past its deadline; {@code timedOut} is told about each busy one
     * killed. Notices workers that began stopping on their own (maxRequests).
     */
    void check(Collection<WorkerHandle> workers, boolean shuttingDown, BiConsumer<WorkerHandle, ExitCause> kill,
            Consumer<WorkerHandle> timedOut) {
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
                kill.accept(worker, ExitCause.TIMED_OUT);
                config.log().log(worker + " busy for " + busyFor / 1_000_000 + " ms on a connection from port "
                        + scoreboard.remotePort(worker.slot) + ": killed (timeout " + config.get(Options.TIMEOUT) + ")");
                timedOut.accept(worker);
            } else if (!worker.ready && now - worker.startedNanos > config.get(Options.START_TIMEOUT).toNanos()) {
                kill.accept(worker, ExitCause.BOOT_TIMED_OUT);
                config.log().log(worker + " not ready after " + config.get(Options.START_TIMEOUT) + " (startTimeout): killed");
            } else if (worker.stopRequested && !shuttingDown && now - worker.stopRequestedNanos > graceLimit) {
                kill.accept(worker, ExitCause.KILLED);
                config.log().log(worker + " did not stop within " + config.get(Options.GRACEFUL_TIMEOUT) + ": killed");
            }
        }
    }
}
