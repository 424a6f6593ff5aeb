package prefork;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import prefork.manager.AccessLogFile;
import prefork.manager.ClassDataArchive;
import prefork.manager.ListenerPool;
import prefork.manager.ManagerEndpoints;
import prefork.manager.ManagerUpgrade;
import prefork.manager.PidFile;
import prefork.manager.ProcessFacts;
import prefork.manager.Reaper;
import prefork.manager.ServerConfig;
import prefork.manager.ServiceNotifier;
import prefork.manager.StatusTable;
import prefork.manager.SystemdNotify;

/**
 * A running prefork server: the manager's handle on its listening sockets, worker pools (one per listener) and
 * control plane. Create one with {@code PreforkServer.builder(MyChild.class)...start()}. Every method is
 * thread-safe and only enqueues work for the supervisor threads (or asks them and waits for the answer); pool
 * changes take effect within one tick (50 ms). {@link #close()} is a graceful, idempotent stop.
 */
public final class PreforkServer implements AutoCloseable {
    private static final long HEALTHY_WITHIN_NANOS = 5_000_000_000L;
    private final ServerConfig config;
    private final List<ListenerPool> pools;
    private final CompletableFuture<Void> terminated;
    private final AtomicInteger stopSignals = new AtomicInteger();
    private final AccessLogFile accessLog;
    private final AtomicInteger reloads = new AtomicInteger();
    final ServiceNotifier notifier;
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    final ManagerEndpoints endpoints;
    final ManagerUpgrade upgrade;
    volatile Runnable restoreSignals = () -> {};
    volatile Reaper reaper;

    PreforkServer(ServerConfig config, List<ListenerPool> pools, PidFile pidFile, ClassDataArchive archive,
            AccessLogFile accessLog, SystemdNotify notify) {
        this.config = config;
        this.pools = List.copyOf(pools);
        this.accessLog = accessLog;
        this.notifier = new ServiceNotifier(notify);
        this.watched.addAll(config.watchedNamespaces());
        this.endpoints = new ManagerEndpoints(this, this.pools, pidFile, config);
        this.upgrade = new ManagerUpgrade(config, this.pools, endpoints, notifier);
        this.terminated = CompletableFuture.allOf(pools.stream().map(ListenerPool::terminated)
                .toArray(CompletableFuture[]::new)).whenComplete((done, error) -> {
                    archive.abandon();
                    notify.close();
                    if (reaper != null) {
                        reaper.close();
                    }
                    endpoints.close();
                    if (accessLog != null) {
                        accessLog.close();
                    }
                    restoreSignals.run();
                });
    }

    /** A builder for a server whose workers run {@code childClass}. */
    public static ServerBuilder builder(Class<? extends BaseChild> childClass) {
        return new ServerBuilder(childClass.getName());
    }

    /** A builder for a server whose workers run the named BaseChild subclass (checked at start). */
    public static ServerBuilder builder(String childClassName) {
        return new ServerBuilder(childClassName);
    }

    /** The first listener's bound port (the real one when 0 was asked for); 0 for a Unix socket. */
    public int port() {
        return pools.get(0).spec().port();
    }

    /** The first listener's bound address and port; null for a Unix socket. */
    public InetSocketAddress address() {
        ListenerSpec spec = pools.get(0).spec();
        return spec.host() == null ? null : new InetSocketAddress(spec.host(), spec.port());
    }

    /** Every listener with its bound port, the primary one first. */
    public List<ListenerSpec> listeners() {
        return pools.stream().flatMap(pool -> pool.specs().stream()).toList();
    }

    /** The first listener's protocol. */
    public Protocol protocol() {
        return pools.get(0).spec().protocol();
    }

    /** The value in force of a catalogue option ({@link Options}): the one given at start, else its default. */
    public <T> T option(Option<T> option) {
        return config.get(option);
    }

    /** The control plane's TCP port, or -1 when it has none (or it listens on a Unix socket). */
    public int controlPlanePort() {
        return endpoints.controlPlanePort();
    }

    /** The metrics port (bound, when 0 was asked for), or -1 when the server has none. */
    public int metricsPort() {
        return endpoints.metricsPort();
    }

    /**
     * A snapshot of every live worker, by listener then slot, with each one's memory and CPU time read from
     * /proc on the caller's thread (tens of microseconds per worker).
     */
    public List<WorkerInfo> workers() {
        List<WorkerInfo> all = new ArrayList<>();
        pools.forEach(pool -> pool.workers().forEach(info -> {
            ProcessFacts facts = ProcessFacts.read(info.pid());
            all.add(info.withProcessFacts(facts.rssBytes(), facts.pssBytes(), facts.cpuTime()));
        }));
        return all;
    }

    /**
     * The operator's status table: one row per worker (slot, pid, generation, state, busy for, client,
     * requests, age, RSS, PSS, CPU seconds, the slot's last exit), then the pool bounds and totals. What
     * {@code prefork ctl status} and {@code (prefork.server/status)} print.
     */
    public String statusTable() {
        return StatusTable.render(workers(), stats(), bounds(), listeners().size() > 1);
    }

    /** Whether every pool's supervisor loop has turned within the last 5 seconds (GET /healthz). */
    public boolean isHealthy() {
        return pools.stream().allMatch(pool -> pool.turning(HEALTHY_WITHIN_NANOS));
    }

    /**
     * Whether every pool has minServers ready workers not asked to stop (during a reload the old generation
     * counts until the new one is ready) and the server is not stopping (GET /readyz).
     */
    public boolean isReady() {
        return pools.stream().allMatch(ListenerPool::ready);
    }

    /** Counters since start, summed over the listeners, and the current busy/idle/starting counts. */
    public ServerStats stats() {
        return ServerStats.sum(pools.stream().map(ListenerPool::stats).toList());
    }

    /** The pool bounds in force (each listener's pool has them). */
    public PoolBounds bounds() {
        return pools.get(0).bounds();
    }

    /** Changes the pool bounds live; the supervisors grow or shrink their pools on their next tick. */
    public void resize(PoolBounds bounds) {
        pools.forEach(pool -> pool.resize(bounds, null));
    }

    /** Raises (positive) or lowers minServers and maxServers by {@code delta}, clamped to valid bounds (TTIN/TTOU). */
    public void resizeBy(int delta) {
        resizeBy(delta, null);
    }

    /** {@link #resizeBy(int)} for a signal: {@code cause} ("TTIN") heads the log line. */
    void resizeBy(int delta, String cause) {
        pools.forEach(pool -> pool.resizeBy(delta, cause));
    }

    /**
     * Graceful reload (HUP): a new generation of workers is started from the code on disk; once minServers of
     * them are ready, the old ones are told to stop and each finishes its current connection first. Code
     * changes sent with {@link #redefine} are forgotten. Returns at once.
     */
    public void reload() {
        reload(null);
    }

    /** {@link #reload()} for a signal: {@code cause} ("HUP") heads the log line. */
    void reload(String cause) {
        notifier.reloading(reloads.incrementAndGet() + 1);
        pools.forEach(pool -> pool.reload(cause));
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} in every live worker, each between two requests, and
     * returns each worker's answer by pid (waiting up to {@code timeout}). Not replayed in later workers.
     * The child must support it ({@link BaseChild#evaluate}); Clojure handlers do.
     */
    public Map<Long, EvalResult> evalInWorkers(String ns, String code, Duration timeout) {
        return await(broadcast(ns, code, false, timeout), timeout);
    }

    /**
     * Like {@link #evalInWorkers}, and also recorded, so that workers started later (replacements, pool
     * growth) evaluate it before they serve, in order: the whole pool keeps the change until {@link #reload()}.
     * A change that fails in every worker that answers is not recorded ({@link EvalResult#kept}); after a
     * partial failure each worker that failed is marked ({@link WorkerInfo#stale()}) and asked to stop, so its
     * replacement runs the recorded code. A worker that cannot apply the record fails its boot.
     */
    public Map<Long, EvalResult> redefine(String ns, String code, Duration timeout) {
        return await(broadcast(ns, code, true, timeout), timeout);
    }

    /** Sends code to every pool's live workers; completes with every worker's result by pid. */
    public CompletableFuture<Map<Long, EvalResult>> broadcast(String ns, String code, boolean record, Duration timeout) {
        List<CompletableFuture<Map<Long, EvalResult>>> answers = pools.stream()
                .map(pool -> pool.broadcast(ns, code, record, timeout)).toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<Long, EvalResult> all = new TreeMap<>();
            answers.forEach(answer -> all.putAll(answer.join()));
            return all;
        });
    }

    private Map<Long, EvalResult> await(CompletableFuture<Map<Long, EvalResult>> answer, Duration timeout) {
        if (pools.stream().anyMatch(ListenerPool::isSupervisorThread)) {
            throw new IllegalStateException("a hook cannot wait for workers' answers; use broadcast(...)");
        }
        try {
            return answer.get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the workers", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the supervisor did not answer", e);
        }
    }

    /** The namespaces whose control-plane evaluations are mirrored into the workers. */
    public Set<String> watchedNamespaces() {
        return Set.copyOf(watched);
    }

    /** Adds a namespace to {@link #watchedNamespaces()}; returns the new set. */
    public Set<String> watchNamespace(String ns) {
        watched.add(ns);
        return watchedNamespaces();
    }

    /**
     * Zero-downtime upgrade of the manager: starts a new manager process from this one's command line (or with
     * {@code jar}, null for none, as what it runs) that inherits the listening sockets, the control-plane and
     * metrics ports and the pid file; once it is ready (within startTimeout) runs {@code onReady}, then stops
     * this server gracefully (the process that called start() decides whether to exit: the launcher does) and
     * returns. Throws IOException saying why the new manager failed (it is stopped, this server carries on),
     * IllegalStateException when an upgrade is under way or done or impossible here (reusePort, PID 1),
     * IllegalArgumentException for a jar that is not a file.
     */
    public UpgradeResult upgrade(Path jar, Consumer<UpgradeResult> onReady) throws IOException {
        return upgrade.run(jar, onReady);
    }

    /** Starts a graceful shutdown with the gracefulTimeout option as deadline; returns at once. */
    public void shutdown() {
        shutdown(config.get(Options.GRACEFUL_TIMEOUT));
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code grace}, then kills the workers that are
     * left, and releases the sockets. Returns at once; see {@link #awaitTermination(Duration)}.
     */
    public void shutdown(Duration grace) {
        shutdown(grace, null);
    }

    private void shutdown(Duration grace, String cause) {
        notifier.stopping();
        pools.forEach(pool -> pool.shutdown(grace, cause));
    }

    /** Kills every worker now and releases the sockets. Returns at once. */
    public void shutdownNow() {
        shutdown(Duration.ZERO);
    }

    /** Waits until every worker has exited and the sockets are closed; returns whether that happened in time. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        try {
            terminated.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Whether the server has stopped completely (and its pid file, if any, is gone). */
    public boolean isTerminated() {
        return terminated.isDone();
    }

    /**
     * Graceful shutdown (gracefulTimeout), waiting for it to finish, then the control plane is closed.
     * Idempotent. Called from a hook (on a supervisor thread) it only starts the shutdown: the supervisor cannot
     * wait for itself.
     */
    @Override
    public void close() {
        shutdown();
        if (pools.stream().anyMatch(ListenerPool::isSupervisorThread)) {
            return;
        }
        try {
            if (!awaitTermination(config.get(Options.GRACEFUL_TIMEOUT).plusSeconds(10))) {
                shutdownNow();
                awaitTermination(Duration.ofSeconds(10));
            }
        } catch (InterruptedException e) {
            shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Reopens the log's file and the access log's (USR1), for log rotation; files only. */
    public void reopenLog() {
        reopenLog(null);
    }

    /** {@link #reopenLog()} for a signal: {@code cause} ("USR1") heads the log line. */
    void reopenLog(String cause) {
        config.log().reopen();
        if (accessLog != null) {
            accessLog.reopen();
        }
        config.log().log((cause == null ? "" : cause + ": ") + "log reopened");
    }

    /**
     * INT/TERM, named by {@code signal}: the first starts a graceful shutdown, a second one kills the workers
     * at once; the log lines say which ("TERM: shutting down ...", "TERM (second): killing 2 workers now").
     */
    void shutdownFromSignal(String signal) {
        if (stopSignals.incrementAndGet() == 1) {
            shutdown(config.get(Options.GRACEFUL_TIMEOUT), signal);
        } else {
            shutdown(Duration.ZERO, signal + " (second)");
        }
    }
}
