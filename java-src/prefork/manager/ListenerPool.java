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
import prefork.internal.TlsSettings;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.internal.AddressPolicy;
import prefork.internal.Native;
import prefork.internal.Scoreboard;

/**
 * One listening socket and the pool of workers that serve it: the socket, the scoreboard, the output and
 * reply pipes, the launcher and the supervisor. A server has one pool per listener, because a worker JVM finds
 * its socket through System.inheritedChannel(), which only looks at fd 0; in dispatch mode one pool serves
 * every stream listener ({@link #dispatching}), whose connections the manager's {@link Dispatcher} passes to
 * its workers. Every method only enqueues work for the supervisor thread, or asks it a question and waits for
 * the answer.
 */
public final class ListenerPool {
    private final List<ListenerSpec> specs;
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
        /** Dispatch mode only (else null and empty): the accept loop, the other listeners, /dev/null's fd. */
        Dispatcher dispatcher;
        List<NativeListener> more = List.of();
        int devNull = -1;

        synchronized void close() {
            if (dispatcher != null) {
                dispatcher.close();
            }
            more.forEach(NativeListener::close);
            Native.closeQuietly(devNull);
            devNull = -1;
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
            dispatcher = null;
        }
    }

    private ListenerPool(List<ListenerSpec> specs, Supervisor supervisor, Resources resources) {
        this.specs = List.copyOf(specs);
        this.spec = specs.get(0);
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
                        config.get(Options.LISTEN), config.reusePort());
        return adopt(config, listener, bound(listener, requested), archive, accessLog);
    }

    /** Binds {@code requested} (a stream listener) for a dispatch pool; returns it with its bound port. */
    public static NativeListener bindForDispatch(ServerConfig config, ListenerSpec requested) throws IOException {
        return requested.protocol() == Protocol.UNIX
                ? NativeListener.bindUnix(requested.path(), config.get(Options.LISTEN), config.get(Options.UNIX_MODE))
                : NativeListener.bind(requested.host(), requested.port(), false, config.get(Options.LISTEN), false);
    }

    /** {@code requested} with the port {@code listener} was bound to (0 asked: the real one). */
    public static ListenerSpec bound(NativeListener listener, ListenerSpec requested) {
        InetSocketAddress bound = listener.address();
        return bound == null ? requested : requested.withPort(bound.getPort());
    }

    /**
     * Dispatch mode: one pool for every stream listener in {@code listeners} (described by {@code specs}, in
     * the same order; bound already), whose connections the manager accepts and passes to idle workers. On
     * failure closes every listener and what else it opened.
     */
    public static ListenerPool dispatching(ServerConfig config, List<NativeListener> listeners,
            List<ListenerSpec> specs, ClassDataArchive archive, AccessLogFile accessLog) throws IOException {
        Resources resources = new Resources();
        resources.listener = listeners.get(0);
        resources.more = List.copyOf(listeners.subList(1, listeners.size()));
        try {
            resources.devNull = Native.check(Native.libc().open("/dev/null", Native.O_RDWR | Native.O_CLOEXEC, 0),
                    "open /dev/null");
            List<DispatchListener> accepting = new java.util.ArrayList<>();
            for (int i = 0; i < listeners.size(); i++) {
                accepting.add(DispatchListener.of(listeners.get(i), specs.get(i)));
            }
            return prepare(config, resources, specs, accepting, archive, accessLog);
        } catch (IOException | RuntimeException e) {
            resources.close();
            throw e;
        }
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
            return prepare(config, resources, List.of(spec), null, archive, accessLog);
        } catch (IOException | RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /** The pool over {@code resources}' listeners; {@code dispatched}: the dispatch mode's listeners, or null. */
    private static ListenerPool prepare(ServerConfig config, Resources resources, List<ListenerSpec> specs,
            List<DispatchListener> dispatched, ClassDataArchive archive, AccessLogFile accessLog) throws IOException {
        ListenerSpec spec = specs.get(0);
        NativeListener listener = resources.listener;
        resources.scoreboardFile = ScoreboardFile.create();
        resources.output = WorkerOutput.start("prefork-worker-output", config.log());
        CodeBroadcast code = new CodeBroadcast();
        resources.replies = LinePipe.start("prefork-worker-replies", code::onReply);
        WorkerCommand command = new WorkerCommand(config, archive, dispatched != null
                ? WorkerCommand.DISPATCH_JVM_OPTIONS : WorkerCommand.poolJvmOptions(listener, spec));
        var launch = command.launch(spec, dispatched != null);
        WorkerUser user = command.user();
        // workers of this user append to the file themselves; stdout, and workers of another user, use the pipe
        int accessFd = accessLog == null ? -1 : user == null ? accessLog.workerFd() : -1;
        if (accessLog != null && accessFd < 0) {
            resources.accessLines = LinePipe.start("prefork-access-log", accessLog::line);
            accessFd = resources.accessLines.writeFd();
        }
        if (user != null) {
            user.handOver(resources.scoreboardFile.fd());
            user.handOver(resources.replies.writeFd());
            if (resources.accessLines != null) {
                user.handOver(accessFd); // the worker opens it through /proc/self/fd, as its own user
            }
        }
        resources.processes = new SpawnedWorkers((slot, maxRequests) -> command.worker(launch, slot, maxRequests),
                dispatched != null ? resources.devNull : resources.listener.fd(), resources.output,
                resources.scoreboardFile.fd(), resources.replies.writeFd(), accessFd, user,
                launch.tls() == null ? Map.of()
                        : Map.of(TlsSettings.PASSWORD_VARIABLE, config.get(Options.TLS_KEYSTORE_PASSWORD)));
        Scoreboard scoreboard = resources.scoreboardFile.scoreboard();
        List<String> names = specs.stream().map(ListenerSpec::toString).toList();
        Runnable stopListening = listener::close;
        if (dispatched != null) {
            DispatchTargets targets = new DispatchTargets();
            resources.processes.dispatchTo(targets);
            resources.dispatcher = new Dispatcher(dispatched, scoreboard, targets,
                    config.get(Options.OVERLOAD).equals("close"), config.get(Options.DISPATCH_TIMEOUT).toNanos(),
                    config.log());
            AddressPolicy policy = config.addressPolicy();
            if (!policy.open()) {
                // applied here only (dispatch workers have no Admission): a refused peer never reaches a worker
                resources.dispatcher.policy((listener1, peer) -> peer == null || policy.check(peer.getAddress(),
                        address -> scoreboard.busyFrom(address, -1) + 1) == AddressPolicy.Verdict.ADMIT);
            }
            stopListening = resources.dispatcher::stopAccepting;
        }
        Supervisor supervisor = new Supervisor(config, names, scoreboard, resources.processes, code, stopListening,
                resources::close, accessLog);
        resources.output.onPipeEnded(supervisor::outputEnded); // so an exit is reaped at once, not on a later turn
        if (resources.dispatcher != null) {
            resources.dispatcher.overloadSignal(supervisor::saturated);
        }
        if (spec.protocol().tcpSocket() && !config.reusePort()) {
            supervisor.watchAcceptQueue(() -> AcceptQueue.length(listener.fd()));
        }
        return new ListenerPool(specs, supervisor, resources);
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

    /** The (first) listener, with its bound port. */
    public ListenerSpec spec() {
        return spec;
    }

    /** Every listener the pool serves (one, or in dispatch mode every stream listener), with bound ports. */
    public List<ListenerSpec> specs() {
        return specs;
    }

    /** Starts the supervisor thread, which spawns the first workers; {@code events} hears of its turns. */
    public void start(PreforkServer server, PoolEvents events) {
        supervisor.bind(server);
        supervisor.observe(events);
        Thread thread = new Thread(supervisor, "prefork-supervisor " + spec);
        thread.setDaemon(true);
        thread.start();
        if (resources.dispatcher != null) {
            resources.dispatcher.start("prefork-dispatch " + spec);
        }
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
        return listener == null || !spec.protocol().tcpSocket() ? null : listener.acceptQueue();
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
