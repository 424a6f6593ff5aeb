package prefork.manager;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import prefork.PreforkServer;

/**
 * What moves to the new manager at an upgrade: the control plane, the metrics endpoint and the pid file.
 * {@link #open} binds them at start (a new manager: once the old one has released them); {@link #release}
 * gives their ports up to a new manager that is ready (open control-plane connections carry on); {@link
 * #close} ends them all when the server has terminated.
 */
public final class ManagerEndpoints {
    private final PreforkServer server;
    private final List<ListenerPool> pools;
    private final PidFile pidFile;
    private final ServerConfig config;
    private volatile ControlPlane controlPlane = ControlPlane.NONE;
    private volatile MetricsEndpoint metrics = MetricsEndpoint.NONE;
    /** Control planes that stopped accepting, closed (their connections too) with the server. */
    private final List<ControlPlane> released = new ArrayList<>();

    public ManagerEndpoints(PreforkServer server, List<ListenerPool> pools, PidFile pidFile, ServerConfig config) {
        this.server = server;
        this.pools = pools;
        this.pidFile = pidFile;
        this.config = config;
    }

    /** Starts the control plane (if configured) and the metrics endpoint, then writes the pid file. */
    public synchronized void open() throws IOException {
        if (config.controlPlane()) {
            controlPlane = ControlPlane.start(server, config);
        }
        metrics = MetricsEndpoint.start(server, pools, config);
        pidFile.write();
    }

    /**
     * Loads the control plane's code now (a new manager, before it says it is ready), so that {@link #open}
     * binds at once once the old manager has released the ports. Throws IOException when Clojure or nREPL is
     * missing.
     */
    public void prepare() throws IOException {
        if (config.controlPlane()) {
            try {
                prefork.clojure.ClojureBridge.loadControlPlane();
            } catch (NoClassDefFoundError | RuntimeException e) {
                throw new IOException("the control plane needs Clojure and nREPL on the class path: " + e, e);
            }
        }
    }

    /**
     * The new manager of an upgrade, ready: says so, waits (up to 30 s) until the old one has released the
     * ports and the pid file, then opens; logs what it cannot open (the old manager is leaving: no throw).
     * Does nothing when {@code handover} is not active.
     */
    public void takeOver(UpgradeHandover handover) {
        if (!handover.active()) {
            return;
        }
        handover.readyThenAwaitRelease(java.time.Duration.ofSeconds(30));
        try {
            open();
        } catch (IOException e) {
            config.log().log("upgrade: serving without " + e.getMessage());
        }
    }

    /** The control plane's TCP port, or -1. */
    public int controlPlanePort() {
        return controlPlane.port();
    }

    /** The metrics port, or -1. */
    public int metricsPort() {
        return metrics.port();
    }

    /** The bound ports for a new manager (which takes them in place of a configured 0): "nrepl-port=P metrics-port=Q". */
    public String ports() {
        return "nrepl-port=" + controlPlane.port() + " metrics-port=" + metrics.port();
    }

    /** Frees the control plane's port or socket path and the metrics port for a new manager that is ready. */
    public synchronized void release() {
        controlPlane.stopAccepting();
        released.add(controlPlane);
        controlPlane = ControlPlane.NONE;
        metrics.close();
        metrics = MetricsEndpoint.NONE;
    }

    /** Closes everything and removes the pid file (if it is still this server's); idempotent, never throws. */
    public synchronized void close() {
        released.forEach(ControlPlane::close);
        controlPlane.close();
        metrics.close();
        pidFile.remove();
    }
}
