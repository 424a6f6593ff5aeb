package prefork.manager;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import prefork.ExitCause;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;
import prefork.internal.AccessLine;
import prefork.internal.Scoreboard;

/**
 * Turns the supervisor's records and the scoreboard into {@link WorkerInfo} snapshots, and remembers why each
 * slot's last worker exited. Owned by the supervisor thread; reads no /proc file (memory and CPU are added
 * by {@code PreforkServer.workers()} on the caller's thread).
 */
final class WorkerSnapshots {
    private final Scoreboard scoreboard;
    /** The pool's listeners: one, or in dispatch mode every stream listener (the scoreboard says whose). */
    private final List<String> listeners;
    private final Map<Integer, ExitCause> previousExit = new HashMap<>();

    WorkerSnapshots(Scoreboard scoreboard, List<String> listeners) {
        this.scoreboard = scoreboard;
        this.listeners = List.copyOf(listeners);
    }

    /** The listener of the slot's current or last connection (the pool's only one outside dispatch mode). */
    private String listener(int slot) {
        int index = scoreboard.listener(slot);
        return listeners.get(index >= 0 && index < listeners.size() ? index : 0);
    }

    /** Records why the worker in {@code slot} exited; its replacement's snapshots report it. */
    void exited(int slot, ExitCause cause) {
        previousExit.put(slot, cause);
    }

    /** What the worker is doing, from the supervisor's view and its slot. */
    WorkerState state(WorkerHandle worker) {
        long state = scoreboard.state(worker.slot);
        if (worker.stopRequested || worker.killed() || state == Scoreboard.STOPPING) {
            return WorkerState.STOPPING;
        }
        if (!worker.ready) {
            return WorkerState.STARTING;
        }
        return state == Scoreboard.BUSY ? WorkerState.BUSY : WorkerState.IDLE;
    }

    WorkerInfo info(WorkerHandle worker) {
        return info(worker, state(worker), scoreboard.requests(worker.slot));
    }

    /** A snapshot with the given state and request count (an exited worker's last ones). */
    WorkerInfo info(WorkerHandle worker, WorkerState state, long requests) {
        long now = System.nanoTime();
        long lastActiveNanos = scoreboard.lastActive(worker.slot);
        Instant lastActive = lastActiveNanos == 0 ? worker.startedAt
                : Instant.now().minusNanos(Math.max(0, now - lastActiveNanos));
        boolean busy = scoreboard.state(worker.slot) == Scoreboard.BUSY;
        Duration busyFor = busy ? Duration.ofNanos(Math.max(0, now - scoreboard.busySince(worker.slot))) : null;
        return new WorkerInfo(worker.slot, worker.pid, state, requests, worker.startedAt, lastActive,
                worker.generation, listener(worker.slot), busyFor, busy ? client(worker.slot) : null, -1, -1, null,
                previousExit.get(worker.slot), worker.stale);
    }

    /** The counters so far plus the live workers' busy, idle and starting counts and requests. */
    ServerStats stats(Collection<WorkerHandle> workers, PoolStatistics statistics, long generation, int peakWorkers) {
        int busy = 0, idle = 0, starting = 0;
        long liveRequests = 0;
        for (WorkerHandle worker : workers) {
            WorkerState state = state(worker);
            busy += state == WorkerState.BUSY ? 1 : 0;
            idle += state == WorkerState.IDLE ? 1 : 0;
            starting += state == WorkerState.STARTING ? 1 : 0;
            liveRequests += scoreboard.requests(worker.slot);
        }
        return statistics.snapshot(liveRequests, busy, idle, starting, generation, peakWorkers);
    }

    /** The access log's line for the request {@code worker} died in (killed): it could not write one itself. */
    String cutOffLine(WorkerHandle worker) {
        long busyFor = System.nanoTime() - scoreboard.busySince(worker.slot);
        return AccessLine.format(System.currentTimeMillis() - busyFor / 1_000_000, worker.pid, listener(worker.slot),
                client(worker.slot), busyFor, AccessLine.Outcome.KILLED);
    }

    /** The client the slot's worker is serving or served last; null for none or a Unix socket. */
    InetSocketAddress client(int slot) {
        InetAddress address = scoreboard.remoteAddress(slot);
        return address == null ? null : new InetSocketAddress(address, (int) scoreboard.remotePort(slot));
    }
}
