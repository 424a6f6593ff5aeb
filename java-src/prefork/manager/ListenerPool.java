package prefork.manager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import prefork.EvalResult;
import prefork.ListenerSpec;
import prefork.Options;
import prefork.PoolBounds;
import prefork.PreforkServer;
import prefork.Protocol;
import prefork.ServerStats;
import prefork.WorkerInfo;

/**
 * One listening socket and the pool of workers that serve it: the socket, the scoreboard, the output and
 * reply pipes, the launcher and the supervisor. A server has one pool per listener, because a worker JVM finds
 * its socket through System.inheritedChannel(), which only looks at fd 0. Every method only enqueues work for
 * the supervisor thread, or asks it a question and waits for the answer.
 */
public final class ListenerPool {
    private final ListenerSpec spec;
    private final Supervisor supervisor;
    private final Resources resources;
    private volatile boolean started;

    /** What the pool holds open; closed once, when the supervisor ends or a start fails. */
    private static final class Resources {
        NativeListener listener;
        ScoreboardFile scoreboardFile;
        WorkerOutput output;
        LinePipe replies;
        LinePipe accessLines;
        SpawnedWorkers processes;

        synchronized void close() {
            for (AutoCloseable open : new AutoCloseable[] {processes, accessLines, replies, output, scoreboardFile,
                    listener}) {
                try {
                    if (open != null) {
                        open.close();
                    }
                } catch (Exception ignored) {
                    // closing native resources: nothing more to do
                }
            }
            processes = null;
            accessLines = null;
            replies = null;
            output = null;
            scoreboardFile = null;
            listener = null;
        }
    }

    private ListenerPool(ListenerSpec spec, Supervisor supervisor, Resources resources) {
        this.spec = spec;
        this.supervisor = supervisor;
        this.resources = resources;
    }

    /**
     * Binds {@code requested} and prepares its pool (nothing spawned yet); on failure closes what it opened.
     * {@code accessLog} (null: off) receives one line per request from the pool's workers.
     */
    public static ListenerPool open(ServerConfig config, ListenerSpec requested, ClassDataArchive archive,
            AccessLogFile accessLog) throws IOException {
        NativeListener listener = requested.protocol() == Protocol.UNIX
                ? NativeListener.bindUnix(requested.path(), config.get(Options.LISTEN), config.get(Options.UNIX_MODE))
                : NativeListener.bind(requested.host(), requested.port(), requested.protocol() == Protocol.UDP,
                        config.get(Options.LISTEN), config.get(Options.REUSE_PORT));
        InetSocketAddress bound = listener.address();
        return adopt(config, listener, bound == null ? requested : requested.withPort(bound.getPort()), archive,
                accessLog);
    }

    /**
     * Prepares the pool of a socket that is already bound ({@code spec} says what it is: a self-bound one, or
     * one inherited through socket activation); on failure closes it and what else it opened.
     */
    public static ListenerPool adopt(ServerConfig config, NativeListener listener, ListenerSpec spec,
            ClassDataArchive archive, AccessLogFile accessLog) throws IOException {
        Resources resources = new Resources();
        resources.listener = listener;
        try {
            resources.scoreboardFile = ScoreboardFile.create();
            resources.output = WorkerOutput.start("prefork-worker-output", config.log());
            CodeBroadcast code = new CodeBroadcast();
            resources.replies = LinePipe.start("prefork-worker-replies", code::onReply);
            if (accessLog != null) {
                resources.accessLines = LinePipe.start("prefork-access-log", accessLog::line);
            }
            WorkerCommand command = new WorkerCommand(config, archive, WorkerCommand.poolJvmOptions(listener, spec));
            var launch = command.launch(spec);
            WorkerUser user = command.user();
            if (user != null) {
                user.handOver(resources.scoreboardFile.fd());
                user.handOver(resources.replies.writeFd());
            }
            resources.processes = new SpawnedWorkers((slot, maxRequests) -> command.worker(launch, slot, maxRequests),
                    resources.listener.fd(), resources.output, resources.scoreboardFile.fd(),
                    resources.replies.writeFd(), accessLog == null ? -1 : resources.accessLines.writeFd(), user);
            Supervisor supervisor = new Supervisor(config, spec.toString(), resources.scoreboardFile.scoreboard(),
                    resources.processes, code, listener::close, resources::close, accessLog);
            if (spec.protocol() == Protocol.TCP && !config.get(Options.REUSE_PORT)) {
                supervisor.watchAcceptQueue(() -> AcceptQueue.length(listener.fd()));
            }
            return new ListenerPool(spec, supervisor, resources);
        } catch (IOException | RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /** The listening socket's fd, for a new manager to inherit at an upgrade; -1 once closed. */
    public int listenerFd() {
        NativeListener listener = resources.listener;
        return listener == null ? -1 : listener.fd();
    }

    /** After an upgrade: closing this pool leaves a Unix socket's file to the new manager. */
    public void handedOver() {
        NativeListener listener = resources.listener;
        if (listener != null) {
            listener.keepFile();
        }
    }

    /** The listener, with its bound port. */
    public ListenerSpec spec() {
        return spec;
    }

    /** Starts the supervisor thread, which spawns the first workers; {@code events} hears of its turns. */
    public void start(PreforkServer server, PoolEvents events) {
        supervisor.bind(server);
        supervisor.observe(events);
        Thread thread = new Thread(supervisor, "prefork-supervisor " + spec);
        thread.setDaemon(true);
        thread.start();
        started = true;
    }

    /** Waits until minServers workers are ready; throws IOException with the workers' error or on timeout. */
    public void awaitReady(Duration timeout) throws IOException {
        try {
            supervisor.ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("startTimeout=" + timeout + " passed before the workers were ready on " + spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting", e);
        }
    }

    /** After a failed start: stops the supervisor if it runs (it then releases everything), else releases. */
    public void abort() {
        if (!started) {
            resources.close();
            return;
        }
        shutdown(Duration.ZERO, null);
        try {
            supervisor.terminated.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the supervisor releases what it can when it ends
        }
    }

    /** Completes once every worker has exited and the pool's resources are closed. */
    public CompletableFuture<Void> terminated() {
        return supervisor.terminated;
    }

    /** Whether the caller is this pool's supervisor thread (a hook): it must not wait for its own answers. */
    public boolean isSupervisorThread() {
        return supervisor.isCurrentThread();
    }

    public List<WorkerInfo> workers() {
        return query(Supervisor::workers);
    }

    public ServerStats stats() {
        return query(Supervisor::stats);
    }

    public PoolBounds bounds() {
        return query(Supervisor::bounds);
    }

    /** New bounds; {@code cause} (a signal's name, or null) heads the log line, as in the methods below. */
    public void resize(PoolBounds bounds, String cause) {
        supervisor.submit(() -> supervisor.resize(bounds, cause));
    }

    /** Moves minServers and maxServers by {@code delta}, clamped (TTIN/TTOU). */
    public void resizeBy(int delta, String cause) {
        supervisor.submit(() -> supervisor.resize(supervisor.bounds().plusServers(delta), cause));
    }

    /** Starts a new generation from the code on disk; the recorded code changes are forgotten. */
    public void reload(String cause) {
        supervisor.submit(() -> supervisor.reload(cause));
    }

    /** Stops accepting, lets workers finish within {@code grace}, kills the rest, releases the pool. */
    public void shutdown(Duration grace, String cause) {
        supervisor.submit(() -> supervisor.beginShutdown(grace, cause));
    }

    /** Whether the supervisor's loop turned within {@code withinNanos}; answered without asking it. */
    public boolean turning(long withinNanos) {
        return supervisor.health().turning(withinNanos);
    }

    /** Whether minServers workers of the current generation are ready and the pool is not stopping. */
    public boolean ready() {
        return supervisor.health().ready();
    }

    /**
     * The kernel's accept queue of the listening socket: {length, limit}; null for a socket that has none the
     * kernel reports (UDP, Unix, reuse-port mode) or once the pool is closed.
     */
    public int[] acceptQueue() {
        NativeListener listener = resources.listener;
        return listener == null || spec.protocol() != Protocol.TCP ? null : listener.acceptQueue();
    }

    /** Sends code to every live worker (recorded for later ones when {@code record}); completes with the results. */
    public CompletableFuture<Map<Long, EvalResult>> broadcast(String ns, String code, boolean record, Duration timeout) {
        CompletableFuture<Map<Long, EvalResult>> answer = new CompletableFuture<>();
        supervisor.submit(() -> supervisor.broadcast(ns, code, record, timeout).whenComplete((results, error) -> {
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(results);
            }
        }));
        return answer;
    }

    private <T> T query(Function<Supervisor, T> question) {
        if (supervisor.isCurrentThread()) {
            return question.apply(supervisor);
        }
        CompletableFuture<T> answer = new CompletableFuture<>();
        supervisor.submit(() -> answer.complete(question.apply(supervisor)));
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
