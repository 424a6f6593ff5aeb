package prefork;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A running prefork server: the manager's handle on its listening sockets and worker pools (one pool per
 * listener). Create one with {@code PreforkServer.builder(MyChild.class)...start()}. Every method is
 * thread-safe; pool changes are carried out by the supervisor threads within one tick (50 ms).
 * {@link #close()} is a graceful, idempotent stop.
 */
public final class PreforkServer implements AutoCloseable {
    private final ServerConfig config;
    private final List<ListenerPool> pools;
    private final CompletableFuture<Void> terminated;
    private final AtomicInteger stopSignals = new AtomicInteger();
    private volatile Runnable restoreSignals = () -> {};

    private PreforkServer(ServerConfig config, List<ListenerPool> pools, PidFile pidFile, ClassDataArchive archive) {
        this.config = config;
        this.pools = List.copyOf(pools);
        this.terminated = CompletableFuture.allOf(pools.stream().map(pool -> pool.supervisor.terminated)
                .toArray(CompletableFuture[]::new)).whenComplete((done, error) -> {
                    archive.abandon();
                    pidFile.remove();
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

    /** Binds every listener, runs the start hooks, spawns the pools; on any failure closes everything and rethrows. */
    static PreforkServer start(ServerConfig config) throws IOException {
        ManagerHooks hooks = config.hooks();
        List<ListenerPool> pools = new ArrayList<>();
        PidFile pidFile = PidFile.check(config.pidFile());
        ClassDataArchive archive = ClassDataArchive.forConfig(config);
        PreforkServer server = null;
        try {
            startHook(hooks::preBind);
            for (ListenerSpec spec : config.listeners()) {
                pools.add(ListenerPool.open(config, spec, archive));
            }
            pidFile.write();
            server = new PreforkServer(config, pools, pidFile, archive);
            PreforkServer handle = server;
            startHook(() -> hooks.postBind(handle));
            startHook(() -> hooks.preSignalSetup(handle));
            if (config.handleSignals()) {
                server.restoreSignals = SignalHandlers.install(server, hooks);
            }
            startHook(() -> hooks.postSignalSetup(handle));
            startHook(() -> hooks.preInitChildren(handle));
            pools.forEach(pool -> pool.start(handle));
            for (ListenerPool pool : pools) {
                pool.awaitReady(config.startTimeout());
            }
            startHook(() -> hooks.postInitChildren(handle));
            for (ListenerPool pool : pools) {
                config.log().log("serving " + pool.spec + " with " + config.bounds().minServers() + " workers ready");
            }
            archive.createIfMissing(ServerBuilder.trainingCommand(config));
            return server;
        } catch (IOException | RuntimeException | Error e) {
            pools.forEach(ListenerPool::abort);
            pidFile.remove();
            if (server != null) {
                server.restoreSignals.run();
            }
            throw e;
        }
    }

    private static void startHook(Hooks.Body body) throws IOException {
        try {
            body.run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("a start hook failed: " + e, e);
        }
    }

    /** The first listener's bound port (the real one when 0 was asked for); 0 for a Unix socket. */
    public int port() {
        return pools.get(0).spec.port();
    }

    /** The first listener's bound address and port; null for a Unix socket. */
    public InetSocketAddress address() {
        ListenerSpec spec = pools.get(0).spec;
        return spec.host() == null ? null : new InetSocketAddress(spec.host(), spec.port());
    }

    /** Every listener with its bound port, the primary one first. */
    public List<ListenerSpec> listeners() {
        return pools.stream().map(pool -> pool.spec).toList();
    }

    /** The first listener's protocol: "tcp", "udp" or "unix". */
    public String protocol() {
        return pools.get(0).spec.protocol();
    }

    /** A snapshot of every live worker, by listener then slot. */
    public List<WorkerInfo> workers() {
        List<WorkerInfo> all = new ArrayList<>();
        for (ListenerPool pool : pools) {
            all.addAll(ask(pool, Supervisor::workers));
        }
        return all;
    }

    /** Counters since start, summed over the listeners, and the current busy/idle/starting counts. */
    public ServerStats stats() {
        return ServerStats.sum(pools.stream().map(pool -> ask(pool, Supervisor::stats)).toList());
    }

    /** The pool bounds in force (each listener's pool has them). */
    public PoolBounds bounds() {
        return ask(pools.get(0), Supervisor::bounds);
    }

    /** Changes the pool bounds live; the supervisors grow or shrink their pools on their next tick. */
    public void resize(PoolBounds bounds) {
        pools.forEach(pool -> pool.supervisor.submit(() -> pool.supervisor.resize(bounds)));
    }

    /** Raises (positive) or lowers minServers and maxServers by {@code delta}, clamped to valid bounds (TTIN/TTOU). */
    public void resizeBy(int delta) {
        pools.forEach(pool -> pool.supervisor.submit(
                () -> pool.supervisor.resize(pool.supervisor.bounds().plusServers(delta))));
    }

    /**
     * Graceful reload (HUP): a new generation of workers is started from the code on disk; once minServers of
     * them are ready, the old ones are told to stop and each finishes its current connection first. Code
     * changes sent with {@link #redefine} are forgotten. Returns at once.
     */
    public void reload() {
        for (ListenerPool pool : pools) {
            pool.evals.clearReplay();
            pool.supervisor.submit(pool.supervisor::reload);
        }
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} in every live worker, each between two requests, and
     * returns each worker's answer by pid (waiting up to {@code timeout}). Not replayed in later workers.
     * The child must support it ({@link BaseChild#evaluate}); Clojure handlers do.
     */
    public Map<Long, EvalResult> evalInWorkers(String ns, String code, Duration timeout) {
        return sendCode(ns, code, timeout, false);
    }

    /**
     * Like {@link #evalInWorkers}, and also recorded, so that workers started later (replacements, pool
     * growth) evaluate it at boot, in order: the whole pool keeps the change until {@link #reload()}.
     */
    public Map<Long, EvalResult> redefine(String ns, String code, Duration timeout) {
        return sendCode(ns, code, timeout, true);
    }

    private Map<Long, EvalResult> sendCode(String ns, String code, Duration timeout, boolean replay) {
        Map<Long, EvalResult> results = new TreeMap<>();
        for (ListenerPool pool : pools) {
            List<Long> pids = ask(pool, Supervisor::workers).stream()
                    .filter(w -> w.state() != WorkerState.STOPPING).map(WorkerInfo::pid).toList();
            results.putAll(pool.evals.send(ns, code, pids, timeout, replay));
        }
        return results;
    }

    /** Starts a graceful shutdown with the gracefulTimeout option as deadline; returns at once. */
    public void shutdown() {
        shutdown(config.gracefulTimeout());
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code grace}, then kills the workers that are
     * left, and releases the sockets. Returns at once; see {@link #awaitTermination(Duration)}.
     */
    public void shutdown(Duration grace) {
        pools.forEach(pool -> pool.supervisor.submit(() -> pool.supervisor.beginShutdown(grace)));
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
     * Graceful shutdown (gracefulTimeout), waiting for it to finish. Idempotent. Called from a hook (on a
     * supervisor thread) it only starts the shutdown: the supervisor cannot wait for itself.
     */
    @Override
    public void close() {
        shutdown();
        if (pools.stream().anyMatch(pool -> pool.supervisor.isCurrentThread())) {
            return;
        }
        try {
            if (!awaitTermination(config.gracefulTimeout().plusSeconds(10))) {
                shutdownNow();
                awaitTermination(Duration.ofSeconds(10));
            }
        } catch (InterruptedException e) {
            shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Reopens the log's file (USR1), for log rotation; does nothing for a log without a file. */
    public void reopenLog() {
        config.log().reopen();
        config.log().log("log reopened");
    }

    /** INT/TERM: the first starts a graceful shutdown, a second one kills the workers at once. */
    void shutdownFromSignal() {
        if (stopSignals.incrementAndGet() == 1) {
            shutdown();
        } else {
            shutdownNow();
        }
    }

    private static <T> T ask(ListenerPool pool, Function<Supervisor, T> question) {
        if (pool.supervisor.isCurrentThread()) {
            return question.apply(pool.supervisor);
        }
        CompletableFuture<T> answer = new CompletableFuture<>();
        pool.supervisor.submit(() -> answer.complete(question.apply(pool.supervisor)));
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the supervisor", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the supervisor did not answer", e);
        }
    }
}
