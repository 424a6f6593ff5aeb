package prefork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import prefork.internal.NativeListener;
import prefork.internal.LinePipe;
import prefork.internal.ScoreboardFile;
import prefork.internal.SpawnedWorkers;

/**
 * A running prefork server: the manager's handle on its listening socket and worker pool. Create one with
 * {@code PreforkServer.builder(MyChild.class)...start()}. Every method is thread-safe; pool changes are carried
 * out by the supervisor thread within one tick (50 ms). {@link #close()} is a graceful, idempotent stop.
 */
public final class PreforkServer implements AutoCloseable {
    private final ServerConfig config;
    private final InetSocketAddress address;
    private final Supervisor supervisor;
    private final WorkerEvals evals;
    private final AtomicInteger stopSignals = new AtomicInteger();

    private PreforkServer(ServerConfig config, InetSocketAddress address, Supervisor supervisor, WorkerEvals evals) {
        this.config = config;
        this.address = address;
        this.supervisor = supervisor;
        this.evals = evals;
    }

    /** A builder for a server whose workers run {@code childClass}. */
    public static ServerBuilder builder(Class<? extends BaseChild> childClass) {
        return new ServerBuilder(childClass.getName());
    }

    /** A builder for a server whose workers run the named BaseChild subclass (checked at start). */
    public static ServerBuilder builder(String childClassName) {
        return new ServerBuilder(childClassName);
    }

    static PreforkServer start(ServerConfig config) throws IOException {
        Starter starter = new Starter(config);
        try {
            return starter.start();
        } catch (IOException | RuntimeException e) {
            starter.abort();
            throw e;
        }
    }

    /** The bound port (the real one when 0 was asked for). */
    public int port() {
        return address.getPort();
    }

    /** The bound address and port. */
    public InetSocketAddress address() {
        return address;
    }

    /** "tcp" or "udp". */
    public String protocol() {
        return config.protocol();
    }

    /** A snapshot of every live worker, ordered by slot. */
    public List<WorkerInfo> workers() {
        return ask(supervisor::workers);
    }

    /** Counters since start, and the pool's current busy/idle/starting counts. */
    public ServerStats stats() {
        return ask(supervisor::stats);
    }

    /** The pool bounds in force. */
    public PoolBounds bounds() {
        return ask(supervisor::bounds);
    }

    /** Changes the pool bounds live; the supervisor grows or shrinks the pool on its next tick. */
    public void resize(PoolBounds bounds) {
        supervisor.submit(() -> supervisor.resize(bounds));
    }

    /** Raises (positive) or lowers minServers and maxServers by {@code delta}, clamped to valid bounds (TTIN/TTOU). */
    public void resizeBy(int delta) {
        supervisor.submit(() -> supervisor.resize(supervisor.bounds().plusServers(delta)));
    }

    /**
     * Graceful reload (HUP): a new generation of workers is started from the code on disk; once minServers of
     * them are ready, the old ones are told to stop and each finishes its current connection first. Returns at once.
     */
    public void reload() {
        evals.clearReplay();
        supervisor.submit(supervisor::reload);
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} in every live worker, each between two requests, and
     * returns each worker's answer by pid (waiting up to {@code timeout}). Not replayed in later workers.
     * The child must support it ({@link BaseChild#evaluate}); Clojure handlers do.
     */
    public Map<Long, EvalResult> evalInWorkers(String ns, String code, Duration timeout) {
        return evals.send(ns, code, livePids(), timeout, false);
    }

    /**
     * Like {@link #evalInWorkers}, and also recorded, so that workers started later (replacements, pool
     * growth) evaluate it at boot, in order: the whole pool keeps the change until {@link #reload()}.
     */
    public Map<Long, EvalResult> redefine(String ns, String code, Duration timeout) {
        return evals.send(ns, code, livePids(), timeout, true);
    }

    private List<Long> livePids() {
        return workers().stream().filter(w -> w.state() != WorkerState.STOPPING).map(WorkerInfo::pid).toList();
    }

    /** Starts a graceful shutdown with the gracefulTimeout option as deadline; returns at once. */
    public void shutdown() {
        shutdown(config.gracefulTimeout());
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code grace}, then kills the workers that are
     * left, and releases the socket. Returns at once; see {@link #awaitTermination(Duration)}.
     */
    public void shutdown(Duration grace) {
        supervisor.submit(() -> supervisor.beginShutdown(grace));
    }

    /** Kills every worker now and releases the socket. Returns at once. */
    public void shutdownNow() {
        shutdown(Duration.ZERO);
    }

    /** Waits until every worker has exited and the socket is closed; returns whether that happened in time. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        try {
            supervisor.terminated.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Whether the server has stopped completely. */
    public boolean isTerminated() {
        return supervisor.terminated.isDone();
    }

    /** Graceful shutdown (gracefulTimeout), waiting for it to finish. Idempotent. */
    @Override
    public void close() {
        shutdown();
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

    /** INT/TERM: the first starts a graceful shutdown, a second one kills the workers at once. */
    void shutdownFromSignal() {
        if (stopSignals.incrementAndGet() == 1) {
            shutdown();
        } else {
            shutdownNow();
        }
    }

    private <T> T ask(Supplier<T> question) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        supervisor.submit(() -> answer.complete(question.get()));
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the supervisor", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the supervisor did not answer", e);
        }
    }

    /** Opens everything in order and, if any step fails, closes what it opened. */
    private static final class Starter {
        private final ServerConfig config;
        private NativeListener listener;
        private ScoreboardFile scoreboardFile;
        private LinePipe output;
        private LinePipe replies;
        private WorkerEvals evals;
        private SpawnedWorkers processes;
        private PreforkServer server;
        private volatile boolean supervisorStarted;

        Starter(ServerConfig config) {
            this.config = config;
        }

        PreforkServer start() throws IOException {
            ManagerHooks hooks = config.hooks();
            startHook(hooks::preBind);
            listener = NativeListener.bind(config.bindIp(), config.port(), config.udp(), config.listen(),
                    config.reusePort());
            scoreboardFile = ScoreboardFile.create();
            output = LinePipe.start("prefork-worker-output", config.log()::log);
            Path replayFile = WorkerEvals.createReplayFile();
            WorkerEvals[] evalsRef = new WorkerEvals[1];
            replies = LinePipe.start("prefork-worker-replies", line -> evalsRef[0].onReply(line));
            processes = new SpawnedWorkers(ServerBuilder.workerCommand(config, replayFile), listener.fd(),
                    output.writeFd(), scoreboardFile.fd(), replies.writeFd());
            evals = new WorkerEvals(replayFile, processes);
            evalsRef[0] = evals;
            Supervisor supervisor = new Supervisor(config, scoreboardFile.scoreboard(), processes, this::release);
            server = new PreforkServer(config, listener.address(), supervisor, evals);
            supervisor.bind(server);
            startHook(() -> hooks.postBind(server));
            startHook(() -> hooks.preSignalSetup(server));
            if (config.handleSignals()) {
                SignalHandlers.install(server, hooks);
            }
            startHook(() -> hooks.postSignalSetup(server));
            startHook(() -> hooks.preInitChildren(server));
            Thread thread = new Thread(supervisor, "prefork-supervisor-" + listener.address().getPort());
            thread.setDaemon(true);
            thread.start();
            supervisorStarted = true;
            awaitReady(supervisor);
            startHook(() -> hooks.postInitChildren(server));
            config.log().log("serving " + config.protocol() + " on " + listener.address() + " with "
                    + config.bounds().minServers() + " workers ready");
            return server;
        }

        private void awaitReady(Supervisor supervisor) throws IOException {
            try {
                supervisor.ready.get(config.startTimeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("startTimeout=" + config.startTimeout() + " passed before "
                        + config.bounds().minServers() + " workers were ready");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting", e);
            }
        }

        private void startHook(Hooks.Body body) throws IOException {
            try {
                body.run();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("a start hook failed: " + e, e);
            }
        }

        /** After a failed start: stops the supervisor if it runs (it then releases everything), else releases. */
        void abort() {
            if (!supervisorStarted) {
                release();
                return;
            }
            server.shutdownNow();
            try {
                server.awaitTermination(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Closes what was opened, once. */
        synchronized void release() {
            if (processes != null) {
                processes.close();
            }
            if (output != null) {
                output.close();
            }
            if (replies != null) {
                replies.close();
            }
            if (evals != null) {
                evals.deleteReplayFile();
            }
            if (scoreboardFile != null) {
                scoreboardFile.close();
            }
            if (listener != null) {
                listener.close();
            }
            processes = null;
            output = null;
            replies = null;
            evals = null;
            scoreboardFile = null;
            listener = null;
        }
    }
}
