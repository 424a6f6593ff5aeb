package prefork.manager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import prefork.EvalResult;
import prefork.ExitCause;
import prefork.ManagerHooks;
import prefork.Options;
import prefork.PoolBounds;
import prefork.PreforkServer;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;
import prefork.internal.Scoreboard;

/**
 * The one thread that owns the pool. Everything else (the server handle, signal handlers, the control plane,
 * the end of a worker's output) only enqueues tasks; each turn of the loop runs them, then reaps exited
 * workers, notices ready ones, kills hung ones, and either maintains the pool or drives the shutdown. Turns
 * come every 5 to 200 ms ({@link TurnPace}) or at once for a task. An error in one turn is logged and the
 * loop carries on.
 */
final class Supervisor implements Runnable {
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final TaskQueue tasks = new TaskQueue();
    private final ServerConfig config;
    private final String listener;
    private PreforkServer server;
    private final Scoreboard scoreboard;
    private final WorkerProcesses processes;
    private final CodeBroadcast code;
    private final ManagerHooks hooks;
    private final Runnable stopListening;
    private final Runnable releaseResources;
    private final Map<Integer, WorkerHandle> workers = new TreeMap<>();
    private final SparePolicy sparePolicy = new SparePolicy(1_000_000_000L); // a surplus idle worker retires after 1 s
    private final CpuBusy cpu;
    private final BootBackoff backoff;
    private final LingeringGroups lingering;
    private final HungWorkers hung;
    private final SaturationWatch saturation;
    private final Generations generations;
    private final PoolStatistics statistics = new PoolStatistics();
    private final WorkerSnapshots snapshots;
    private final MemoryLimit memoryLimit;
    private final AccessLogFile accessLog;
    private final PoolHealth health = new PoolHealth();
    private final TurnPace pace = new TurnPace();
    /**
     * A worker's exit is looked for (waitpid) on the turns after its output pipe ended, and in every worker once
     * a second, for one whose pipe outlives it (a process it started holds its output).
     */
    private static final long SWEEP_NANOS = 1_000_000_000L;
    private long sweptAt = System.nanoTime();
    private PoolBounds bounds;
    private boolean everReady;
    private Long shutdownDeadline;
    private boolean finished;
    private int peakWorkers;

    Supervisor(ServerConfig config, List<String> listeners, Scoreboard scoreboard, WorkerProcesses processes,
            CodeBroadcast code, Runnable stopListening, Runnable releaseResources, AccessLogFile accessLog) {
        // listeners: one, or every stream listener of a dispatch pool; accessLog: null when the access log is off
        this.code = code;
        this.hooks = config.hooks();
        this.stopListening = stopListening;
        this.config = config;
        this.listener = String.join(", ", listeners);
        this.scoreboard = scoreboard;
        this.processes = processes;
        this.releaseResources = releaseResources;
        this.bounds = config.bounds();
        this.backoff = new BootBackoff(config.log());
        this.snapshots = new WorkerSnapshots(scoreboard, listeners);
        this.memoryLimit = MemoryLimit.of(config);
        this.hung = new HungWorkers(config, scoreboard, processes);
        this.accessLog = accessLog;
        this.saturation = new SaturationWatch(config.log());
        this.cpu = new CpuBusy(config.log(), config.get(Options.GROW_WHEN_CPU_BUSY));
        this.generations = new Generations(config.log(), code::clearRecorded);
        this.lingering = new LingeringGroups(processes, config.log(), config.get(Options.GRACEFUL_TIMEOUT).toNanos());
        code.attach(this::submit, this::livePids, this::replaceStale, processes, config.log());
    }

    /** Health and readiness as of the last turn; readable from any thread. */
    PoolHealth health() {
        return health;
    }

    /** Where the saturation log line reads the accept queue's length (-1: unknown); before the thread starts. */
    void watchAcceptQueue(java.util.function.IntSupplier length) {
        saturation.acceptQueue(length);
    }

    /** Whether, as of the last turn, every worker is busy at maxServers (dispatch's overload); any thread. */
    boolean saturated() {
        return saturation.atMax();
    }

    /** Sets the handle passed to hooks; called once, before the thread starts. */
    void bind(PreforkServer handle) {
        this.server = handle;
    }

    private volatile Thread thread;
    private volatile PoolEvents events = PoolEvents.NONE;

    /** Sets who hears of this pool's turns and ready generations; called once, before the thread starts. */
    void observe(PoolEvents observer) {
        this.events = observer;
    }

    /** Whether the caller is this supervisor's own thread (a hook): it must not wait for its own answers. */
    boolean isCurrentThread() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            HookRunner.run(config.log(), "preLoop", () -> hooks.preLoop(server));
            for (long wait = 0; !finished; wait = pace.next(workers.values(), scoreboard,
                    shutdownDeadline != null || !lingering.isEmpty())) {
                tasks.runWaiting(wait, config.log()); // the first turn spawns at once
                try {
                    step();
                    events.turn(this::stats);
                } catch (RuntimeException e) {
                    config.log().log("supervisor error (continuing): " + e);
                }
                health.turned(countServing() >= bounds.minServers(), shutdownDeadline != null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            health.stopped();
            lingering.killAndReap(workers.values()); // only if the loop ended abnormally
            releaseResources.run();
            ready.completeExceptionally(new IllegalStateException("the server stopped before it was ready"));
            terminated.complete(null);
            tasks.drain();
        }
    }

    /**
     * Worker {@code pid}'s output pipe ended: it is most likely exiting, so the supervisor takes a turn now and
     * looks every 5 ms until it has reaped it (for at most a second, see {@link TurnPace}).
     */
    void outputEnded(long pid) {
        long now = System.nanoTime();
        submit(() -> workers.values().stream().filter(w -> w.pid == pid).forEach(w -> w.outputEndedNanos = now));
    }

    /** Runs {@code task} on the supervisor thread (or on the caller's, once the supervisor has terminated). */
    void submit(Runnable task) {
        tasks.add(task);
        if (terminated.isDone()) {
            tasks.drain();
        }
    }

    private void step() {
        reapExited();
        lingering.check();
        noticeReady();
        hung.check(workers.values(), shutdownDeadline != null, worker -> {
            WorkerInfo info = snapshots.info(worker);
            HookRunner.run(config.log(), "workerTimedOut", () -> hooks.workerTimedOut(server, info));
        });
        if (shutdownDeadline == null) {
            if (memoryLimit != null) {
                memoryLimit.check(workers.values(), this::requestStop);
            }
            stopOldGeneration();
            maintainPool();
        } else {
            driveShutdown();
        }
    }

    private void reapExited() {
        long now = System.nanoTime();
        boolean sweep = now - sweptAt >= SWEEP_NANOS || shutdownDeadline != null;
        if (sweep) {
            sweptAt = now;
        }
        for (WorkerHandle worker : new ArrayList<>(workers.values())) {
            if (!sweep && worker.outputEndedNanos == 0) {
                continue;
            }
            java.util.OptionalInt status = processes.pollExit(worker.pid);
            if (status.isEmpty()) {
                continue;
            }
            workers.remove(worker.slot);
            lingering.workerGone(worker);
            long requests = scoreboard.requests(worker.slot);
            String bootError = scoreboard.message(worker.slot);
            if (accessLog != null && scoreboard.state(worker.slot) == Scoreboard.BUSY) {
                accessLog.line(snapshots.cutOffLine(worker));
            }
            scoreboard.clear(worker.slot);
            ExitCause cause = worker.exitCause(status.getAsInt(), requests);
            statistics.exited(cause, requests);
            snapshots.exited(worker.slot, cause);
            config.log().log(worker + " exited (" + cause + "): " + WaitStatus.describe(status.getAsInt())
                    + " after " + requests + " requests, " + worker.ageMillis() + " ms"
                    + (bootError.isEmpty() ? "" : ": " + bootError));
            WorkerInfo info = snapshots.info(worker, WorkerState.STOPPING, requests);
            int raw = status.getAsInt();
            HookRunner.run(config.log(), "workerExited", () -> hooks.workerExited(server, info, cause, raw));
            if (!worker.ready && shutdownDeadline == null && cause != ExitCause.STOPPED) {
                // (a booting worker that was asked to stop, by a reload or a retirement, and did: no boot failure)
                bootFailed(worker, bootError.isEmpty() ? jvmFailure(worker, raw) : bootError);
            } else if (shutdownDeadline == null) {
                backoff.exited(worker, cause, raw, requests);
            }
        }
    }

    /** A worker that died before prefork's code could report: its exit status and what its JVM printed last. */
    private String jvmFailure(WorkerHandle worker, int status) {
        return WaitStatus.describe(status) + WorkerOutput.said(processes.lastOutput(worker.pid));
    }

    private void bootFailed(WorkerHandle worker, String error) {
        if (!everReady) {
            ready.completeExceptionally(new IllegalStateException("no worker could start: " + error));
            beginShutdown(Duration.ZERO);
        } else {
            backoff.failed(worker, error);
        }
    }

    private void noticeReady() {
        for (WorkerHandle worker : workers.values()) {
            long state = scoreboard.state(worker.slot);
            if (!worker.ready && (state == Scoreboard.IDLE || state == Scoreboard.BUSY)) {
                worker.ready = true;
                worker.readyNanos = System.nanoTime();
                everReady = true;
                backoff.ready();
                config.log().log(worker + " ready in " + worker.ageMillis() + " ms");
                WorkerInfo info = snapshots.info(worker);
                HookRunner.run(config.log(), "workerReady", () -> hooks.workerReady(server, info));
            }
        }
        if (!ready.isDone() && countReady(generations.current()) >= bounds.minServers()) {
            ready.complete(null);
        }
        backoff.checkSurvivors(workers.values());
    }

    private void maintainPool() {
        PoolCensus pool = PoolCensus.of(workers.values(), generations.current(), scoreboard);
        int total = pool.total(), spare = pool.idle() + pool.starting();
        saturation.observe(spare == 0 && total >= bounds.maxServers(), bounds.maxServers(), System.nanoTime());
        int cpuRoom = cpu.spawnRoom(SparePolicy.sparesShort(bounds, total, spare), total, pool.requestsHandled(),
                System.nanoTime());
        int spawn = sparePolicy.toSpawn(bounds, total, spare, cpuRoom);
        if (!everReady) { // the first worker boots alone (sooner than with the rest competing), then the rest
            spawn = Math.min(spawn, pool.starting() == 0 ? 1 : 0);
        }
        int spawned = 0;
        for (; spawned < spawn && backoff.maySpawn() && shutdownDeadline == null; spawned++) {
            spawn();
        }
        cpu.spawned(spawned);
        peakWorkers = Math.max(peakWorkers, total + spawn);
        pool.oldestIdle(sparePolicy.toRetire(bounds, total, pool.idle(), System.nanoTime()))
                .forEach(w -> requestStop(w, "retired (surplus idle worker)"));
    }

    private void stopOldGeneration() {
        long generation = generations.current();
        List<WorkerHandle> old = generations.step(workers.values(),
                countReady(generations.current()) >= Math.max(1, bounds.minServers()));
        old.forEach(w -> requestStop(w, "replaced by generation " + generation));
        if (!old.isEmpty()) {
            events.generationReady(generation);
        }
    }

    /** The server stops once every worker has exited and what they started is gone. */
    private void driveShutdown() {
        if (workers.isEmpty() && lingering.isEmpty()) {
            config.log().log("all workers have exited; the server is stopped");
            finished = true;
        } else if (System.nanoTime() - shutdownDeadline > 0) {
            List<WorkerHandle> left = workers.values().stream().filter(w -> !w.killed()).toList();
            if (!left.isEmpty()) {
                config.log().log("shutdown deadline reached: killing " + left.size() + " workers");
                left.forEach(w -> hung.kill(w, ExitCause.KILLED));
            }
            lingering.killAll();
        }
    }

    /** Starts a graceful shutdown that kills what is left after {@code grace}; a shorter grace wins. */
    void beginShutdown(Duration grace) {
        beginShutdown(grace, null);
    }

    /**
     * The same, with what asked for it ("TERM", "TERM (second)", or null) at the head of its log line. A
     * zero grace during a shutdown kills the workers that are left at once.
     */
    void beginShutdown(Duration grace, String cause) {
        long deadline = System.nanoTime() + grace.toNanos();
        String by = cause == null ? "" : cause + ": ";
        if (shutdownDeadline != null) {
            shutdownDeadline = Math.min(shutdownDeadline, deadline);
            List<WorkerHandle> left = workers.values().stream().filter(w -> !w.killed()).toList();
            if (grace.isZero() && !left.isEmpty()) {
                config.log().log(by + "killing " + left.size() + " workers now (" + listener + ")");
                left.forEach(w -> hung.kill(w, ExitCause.KILLED));
            }
            return;
        }
        shutdownDeadline = deadline;
        HookRunner.run(config.log(), "preServerClose", () -> hooks.preServerClose(server));
        config.log().log(by + "shutting down " + listener + ": stopping " + workers.size() + " workers (grace " + grace + ")");
        stopListening.run();
        workers.values().forEach(w -> requestStop(w, null));
    }

    /**
     * A new generation starts clean from the code on disk: recorded code changes are forgotten (see
     * Generations). {@code cause} ("HUP", or null) heads the log line.
     */
    void reload(String cause) {
        if (shutdownDeadline == null) {
            generations.reload(workers.values(), cause);
        }
    }

    /**
     * Sends code to every live worker that is not stopping (recorded for later workers when {@code record});
     * completes with each worker's result by pid.
     */
    CompletableFuture<Map<Long, EvalResult>> broadcast(String ns, String text, boolean record, Duration timeout) {
        return code.send(livePids(), ns, text, record, timeout);
    }

    private List<Long> livePids() {
        return workers.values().stream().filter(w -> !w.stopRequested && !w.killed()).map(w -> w.pid).toList();
    }

    /** A worker whose code differs from the record is marked (see {@link WorkerInfo#stale()}) and replaced. */
    private void replaceStale(long pid, String why) {
        workers.values().stream().filter(w -> w.pid == pid && w.stale == null).findFirst().ifPresent(w -> {
            w.stale = why;
            requestStop(w, "is stale (" + why + ")");
        });
    }

    /** New pool bounds; {@code cause} ("TTIN", or null) heads the log line. */
    void resize(PoolBounds newBounds, String cause) {
        config.log().log((cause == null ? "" : cause + ": ") + "resize: " + bounds + " -> " + newBounds);
        bounds = newBounds;
        if (!ready.isDone() && countReady(generations.current()) >= bounds.minServers()) {
            ready.complete(null);
        }
    }

    PoolBounds bounds() {
        return bounds;
    }

    List<WorkerInfo> workers() {
        return workers.values().stream().map(snapshots::info).toList();
    }

    ServerStats stats() {
        return snapshots.stats(workers.values(), statistics, generations.current(), peakWorkers);
    }

    private void spawn() {
        int slot = 0;
        while (workers.containsKey(slot)) {
            slot++;
        }
        long maxRequests = WorkerHandle.drawMaxRequests(config.get(Options.MAX_REQUESTS),
                config.get(Options.MAX_REQUESTS_JITTER));
        try {
            long pid = processes.spawn(slot, maxRequests);
            code.spawned(pid);
            WorkerHandle worker = new WorkerHandle(slot, pid, generations.current(), maxRequests);
            workers.put(slot, worker);
            statistics.spawned();
            config.log().log(worker + " spawned for " + listener);
        } catch (Exception e) {
            config.log().log("cannot spawn a worker: " + e);
            if (everReady) {
                backoff.failed(null, e.toString());
            } else {
                ready.completeExceptionally(new IllegalStateException("cannot start a worker: " + e.getMessage(), e));
                beginShutdown(Duration.ZERO);
            }
        }
    }
    private void requestStop(WorkerHandle worker, String why) {
        if (!worker.stopRequested) {
            worker.stopRequested = true;
            worker.stopRequestedNanos = System.nanoTime();
            if (why != null) {
                config.log().log(worker + " " + why + ": asked to stop");
            }
            processes.requestStop(worker.pid);
        }
    }

    /*
     * The counts of every turn are loops, not streams: at 5 to 20 turns a second the supervisor's code stays
     * interpreted for minutes, where a stream pipeline costs tens of microseconds (TurnPace).
     */

    private int countReady(long ofGeneration) {
        int ready = 0;
        for (WorkerHandle w : workers.values()) {
            ready += w.ready && w.generation == ofGeneration && !w.stopRequested ? 1 : 0;
        }
        return ready;
    }

    private int countServing() {
        int serving = 0;
        for (WorkerHandle w : workers.values()) {
            serving += w.ready && !w.stopRequested && !w.killed() ? 1 : 0;
        }
        return serving;
    }
}
