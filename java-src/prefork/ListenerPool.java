package prefork;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import prefork.internal.LinePipe;
import prefork.internal.NativeListener;
import prefork.internal.ScoreboardFile;
import prefork.internal.SpawnedWorkers;

/**
 * One listening socket and the pool of workers that serve it: the socket, the scoreboard, the output and
 * reply pipes, the replay file, the launcher and the supervisor. A server has one pool per listener, because a
 * worker JVM finds its socket through System.inheritedChannel(), which only looks at fd 0.
 */
final class ListenerPool {
    final ListenerSpec spec;
    final Supervisor supervisor;
    final WorkerEvals evals;
    private final ServerConfig config;
    private NativeListener listener;
    private ScoreboardFile scoreboardFile;
    private LinePipe output;
    private LinePipe replies;
    private SpawnedWorkers processes;
    private volatile boolean started;

    private ListenerPool(ServerConfig config, ListenerSpec requested, Resources resources, ClassDataArchive archive)
            throws IOException {
        this.config = config;
        this.listener = resources.listener;
        InetSocketAddress bound = listener.address();
        this.spec = bound == null ? requested : requested.withPort(bound.getPort());
        this.scoreboardFile = resources.scoreboardFile;
        this.output = resources.output;
        this.replies = resources.replies;
        Path replayFile = WorkerEvals.createReplayFile();
        this.processes = new SpawnedWorkers(
                () -> ServerBuilder.workerCommand(config, spec, replayFile, archive.jvmOptions()), listener.fd(),
                output.writeFd(), scoreboardFile.fd(), replies.writeFd());
        this.evals = new WorkerEvals(replayFile, processes);
        resources.evals = evals;
        this.supervisor = new Supervisor(config, spec.toString(), scoreboardFile.scoreboard(), processes,
                this::stopListening, this::release);
    }

    /** What open() creates before the pool exists, so that a failure can close it. */
    private static final class Resources {
        NativeListener listener;
        ScoreboardFile scoreboardFile;
        LinePipe output;
        LinePipe replies;
        volatile WorkerEvals evals;

        void close() {
            if (replies != null) {
                replies.close();
            }
            if (output != null) {
                output.close();
            }
            if (scoreboardFile != null) {
                scoreboardFile.close();
            }
            if (listener != null) {
                listener.close();
            }
        }
    }

    /** Binds {@code requested} and prepares its pool (nothing spawned yet); on failure closes what it opened. */
    static ListenerPool open(ServerConfig config, ListenerSpec requested, ClassDataArchive archive) throws IOException {
        Resources resources = new Resources();
        try {
            resources.listener = requested.protocol().equals("unix")
                    ? NativeListener.bindUnix(requested.path(), config.listen(), config.unixMode())
                    : NativeListener.bind(requested.host(), requested.port(), requested.udp(), config.listen(),
                            config.reusePort());
            resources.scoreboardFile = ScoreboardFile.create();
            resources.output = LinePipe.start("prefork-worker-output", config.log()::log);
            resources.replies = LinePipe.start("prefork-worker-replies", line -> resources.evals.onReply(line));
            return new ListenerPool(config, requested, resources, archive);
        } catch (IOException | RuntimeException e) {
            resources.close();
            throw e;
        }
    }

    /** Starts the supervisor thread, which spawns the first workers. */
    void start(PreforkServer server) {
        supervisor.bind(server);
        Thread thread = new Thread(supervisor, "prefork-supervisor " + spec);
        thread.setDaemon(true);
        thread.start();
        started = true;
    }

    /** Waits until minServers workers are ready; throws IOException with the workers' error or on timeout. */
    void awaitReady(Duration timeout) throws IOException {
        try {
            supervisor.ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("startTimeout=" + timeout + " passed before " + config.bounds().minServers()
                    + " workers were ready on " + spec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting", e);
        }
    }

    /** After a failed start: stops the supervisor if it runs (it then releases everything), else releases. */
    void abort() {
        if (!started) {
            release();
            return;
        }
        supervisor.submit(() -> supervisor.beginShutdown(Duration.ZERO));
        try {
            supervisor.terminated.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            config.log().log("could not stop the workers of " + spec + ": " + e);
        }
    }

    /** Shutdown has begun: the manager's copy of the socket goes, so it closes once the workers close theirs. */
    synchronized void stopListening() {
        if (listener != null) {
            listener.close();
        }
    }

    /** Closes what was opened, once; the supervisor calls it when its last worker has exited. */
    synchronized void release() {
        if (processes != null) {
            processes.close();
            output.close();
            replies.close();
            evals.deleteReplayFile();
            scoreboardFile.close();
            listener.close();
        }
        processes = null;
        output = null;
        replies = null;
        scoreboardFile = null;
        listener = null;
    }
}
