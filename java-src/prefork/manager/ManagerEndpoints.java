package prefork.manager;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import prefork.Options;
import prefork.PreforkServer;

/**
 * What moves to the new manager at an upgrade: the control plane, the metrics endpoint and the pid file.
 * {@link #open} binds them at start; {@link #release} gives their ports up before a new manager starts (open
 * control-plane connections carry on); {@link #restore} takes them back on the same ports when it failed;
 * {@link #close} ends them all when the server has terminated.
 */
public final class ManagerEndpoints {
    private final PreforkServer server;
    private final List<ListenerPool> pools;
    private final PidFile pidFile;
    private ServerConfig config;
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

    /** The control plane's TCP port, or -1. */
    public int controlPlanePort() {
        return controlPlane.port();
    }

    /** The metrics port, or -1. */
    public int metricsPort() {
        return metrics.port();
    }

    /**
     * Frees the control plane's port or socket path and the metrics port for a new manager; a later {@link
     * #restore} binds the same ones (a port 0 becomes the port it had). Returns "nrepl-port=P metrics-port=Q".
     */
    public synchronized String release() {
        String ports = "nrepl-port=" + controlPlane.port() + " metrics-port=" + metrics.port();
        if (controlPlane.port() > 0) {
            config = config.with(Options.NREPL_PORT, controlPlane.port());
        }
        if (metrics.port() > 0) {
            config = config.with(Options.METRICS_PORT, metrics.port());
        }
        controlPlane.stopAccepting();
        released.add(controlPlane);
        controlPlane = ControlPlane.NONE;
        metrics.close();
        metrics = MetricsEndpoint.NONE;
        return ports;
    }

    /** After a failed upgrade: the control plane and metrics back on their ports, the pid file rewritten. */
    public synchronized void restore() throws IOException {
        open();
    }

    /** Closes everything and removes the pid file (if it is still this server's); idempotent, never throws. */
    public synchronized void close() {
        released.forEach(ControlPlane::close);
        controlPlane.close();
        metrics.close();
        pidFile.remove();
    }
}
