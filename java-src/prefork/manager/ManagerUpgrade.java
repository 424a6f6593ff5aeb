package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import prefork.Options;
import prefork.UpgradeResult;

/**
 * The old manager's side of a zero-downtime upgrade, as unicorn's USR2 and gunicorn's reexec: this manager
 * starts a new one (its own command line, or another jar) that inherits every listening socket and waits for it
 * to be ready (minServers workers in every pool, within startTimeout). Then it answers (onReady), frees the
 * control-plane and metrics ports, on which the new manager then binds and writes the pid file, hands over
 * (MAINPID= to systemd) and stops its own workers gracefully, after which it exits; the listeners never close,
 * so no connection is refused. If the new manager exits or is not ready in time, it is stopped and this
 * manager carries on, having given nothing up. One upgrade at a time, and none before start() has returned.
 * The new manager's side: {@link UpgradeHandover}.
 */
public final class ManagerUpgrade {
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private final ServerConfig config;
    private final List<ListenerPool> pools;
    private final ManagerEndpoints endpoints;
    private final ServiceNotifier notifier;
    /** Why an upgrade cannot start now, or null. */
    private String busy = "this manager is still starting";

    public ManagerUpgrade(ServerConfig config, List<ListenerPool> pools, ManagerEndpoints endpoints,
            ServiceNotifier notifier) {
        this.config = config;
        this.pools = pools;
        this.endpoints = endpoints;
        this.notifier = notifier;
    }

    /**
     * Upgrades to a new manager running {@code jar} (null: this manager's own command line). {@code onReady}
     * runs once the new manager is ready, before this one starts stopping. Throws IllegalStateException when
     * an upgrade is under way or done, or this manager cannot be upgraded (reusePort, PID 1),
     * IllegalArgumentException for a jar that is not a file, and IOException saying why the new manager
     * failed (this manager then carries on).
     */
    public UpgradeResult run(Path jar, Consumer<UpgradeResult> onReady) throws IOException {
        List<String> argv = command(jar);
        begin();
        long started = System.nanoTime();
        NewManagerProcess next = null;
        try {
            String ports = endpoints.ports();
            List<Integer> fds = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (ListenerPool pool : pools) {
                fds.add(pool.listenerFd());
                names.add(pool.spec().protocol().name().toLowerCase(java.util.Locale.ROOT));
            }
            next = NewManagerProcess.spawn(argv, fds, names, ports);
            config.log().log("upgrade: started new manager pid " + next.pid + (jar == null ? "" : " from " + jar)
                    + "; waiting up to startTimeout=" + config.get(Options.START_TIMEOUT) + " for it to be ready");
            next.awaitReady(config.get(Options.START_TIMEOUT));
        } catch (IOException e) {
            rollBack(next, e);
            throw new IOException("upgrade failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            rollBack(next, e);
            throw e;
        }
        UpgradeResult result = new UpgradeResult(next.pid, Duration.ofNanos(System.nanoTime() - started));
        synchronized (this) {
            busy = "this manager has handed over to the new manager pid " + next.pid;
        }
        config.log().log("upgrade: new manager pid " + next.pid + " is ready after " + result.took().toMillis()
                + " ms; this manager stops its workers gracefully and exits");
        try {
            onReady.accept(result);
        } finally {
            endpoints.release();
            next.released();
            notifier.handedOver(next.pid);
            pools.forEach(ListenerPool::handedOver);
            pools.forEach(pool -> pool.shutdown(config.get(Options.GRACEFUL_TIMEOUT), "upgrade"));
        }
        return result;
    }

    private List<String> command(Path jar) throws IOException {
        if (config.reusePort()) {
            throw new IllegalStateException("cannot upgrade with acceptMode=\"reuse-port\": the workers own their"
                    + " sockets, there is no listener to hand over");
        }
        if (config.dispatch()) {
            throw new IllegalStateException("cannot upgrade with acceptMode=\"dispatch\" yet: only shared accept"
                    + " hands its listeners over");
        }
        if (ProcessHandle.current().pid() == 1) {
            throw new IllegalStateException("cannot upgrade the manager as PID 1 (a container's main process): "
                    + "replace the container instead");
        }
        if (jar != null && !Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("jar \"" + jar + "\" is not a file");
        }
        List<String> argv = ManagerCommand.current();
        return jar == null ? argv : ManagerCommand.withJar(argv, jar);
    }

    private synchronized void begin() {
        if (busy != null) {
            throw new IllegalStateException("cannot upgrade: " + busy);
        }
        if (pools.stream().anyMatch(pool -> pool.terminated().isDone() || pool.listenerFd() < 0)) {
            throw new IllegalStateException("cannot upgrade: the server is stopping");
        }
        busy = "an upgrade is already in progress";
    }

    /** The server has started: upgrades may begin. */
    public synchronized void started() {
        busy = null;
    }

    private void rollBack(NewManagerProcess next, Exception why) {
        if (next != null) {
            next.stop(STOP_GRACE);
        }
        config.log().log("upgrade failed: " + why.getMessage() + "; this manager (pid " + ProcessHandle.current().pid()
                + ") carries on serving");
        synchronized (this) {
            busy = null;
        }
    }
}
