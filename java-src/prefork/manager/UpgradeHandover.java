package prefork.manager;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import prefork.Log;
import prefork.Options;
import prefork.internal.Native;

/**
 * The new manager's side of an upgrade ({@link ManagerUpgrade}). The old manager starts it with the listeners
 * on fds 3.. (socket activation: {@link SocketActivation}) and {@code PREFORK_UPGRADE="ready-fd=N parent=PID
 * nrepl-port=P metrics-port=Q"}: the write end of a pipe to tell it "ready", the old manager's pid (which may
 * hold the pid file) and the ports it served its control plane and metrics on (-1: none), which replace a
 * configured port 0 so that clients find the new manager where they found the old one. The variable is honoured
 * only when {@code parent} is this process's parent, and removed from the environment either way.
 */
public final class UpgradeHandover {
    /** The environment variable. */
    public static final String VARIABLE = "PREFORK_UPGRADE";
    /** Not started by an upgrade. */
    public static final UpgradeHandover NONE = new UpgradeHandover(-1, -1, -1, -1);
    private int readyFd;
    private final long parent;
    private final int nreplPort;
    private final int metricsPort;

    private UpgradeHandover(int readyFd, long parent, int nreplPort, int metricsPort) {
        this.readyFd = readyFd;
        this.parent = parent;
        this.nreplPort = nreplPort;
        this.metricsPort = metricsPort;
    }

    /** The handover this process was started with, or {@link #NONE}; logs a variable it ignores. */
    public static UpgradeHandover fromEnvironment(Log log) {
        String text = System.getenv(VARIABLE);
        if (text == null) {
            return NONE;
        }
        Native.libc().unsetenv(VARIABLE);
        Map<String, String> fields = new HashMap<>();
        for (String field : text.trim().split("\\s+")) {
            int eq = field.indexOf('=');
            fields.put(eq < 0 ? field : field.substring(0, eq), eq < 0 ? "" : field.substring(eq + 1));
        }
        try {
            long parent = Long.parseLong(fields.getOrDefault("parent", ""));
            long actual = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
            if (parent != actual) {
                log.log("upgrade: ignoring " + VARIABLE + " meant for a child of " + parent + " (parent is " + actual + ")");
                return NONE;
            }
            int fd = Integer.parseInt(fields.getOrDefault("ready-fd", ""));
            Native.check(Native.libc().fcntl(fd, Native.F_SETFD, Native.FD_CLOEXEC), "fcntl FD_CLOEXEC on fd " + fd);
            return new UpgradeHandover(fd, parent, Integer.parseInt(fields.getOrDefault("nrepl-port", "-1")),
                    Integer.parseInt(fields.getOrDefault("metrics-port", "-1")));
        } catch (NumberFormatException | java.io.IOException e) {
            log.log("upgrade: ignoring " + VARIABLE + "=\"" + text + "\": " + e.getMessage());
            return NONE;
        }
    }

    /** The old manager's pid, or -1. */
    public long parent() {
        return parent;
    }

    /** {@code config} with the old manager's control plane and metrics ports in place of a configured port 0. */
    public ServerConfig ports(ServerConfig config) {
        ServerConfig result = config;
        Integer nrepl = config.get(Options.NREPL_PORT);
        if (nreplPort > 0 && nrepl != null && nrepl == 0 && config.get(Options.NREPL_SOCKET) == null) {
            result = result.with(Options.NREPL_PORT, nreplPort);
        }
        Integer metrics = config.get(Options.METRICS_PORT);
        if (metricsPort > 0 && metrics != null && metrics == 0) {
            result = result.with(Options.METRICS_PORT, metricsPort);
        }
        return result;
    }

    /** Tells the old manager this one is ready (minServers workers in every pool); then closes the pipe. */
    public synchronized void ready() {
        if (readyFd >= 0) {
            byte[] line = ("ready " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            Native.libc().write(readyFd, line, line.length);
            abandon();
        }
    }

    /** Closes the pipe without a word (a failed start: the old manager reads EOF and carries on). */
    public synchronized void abandon() {
        Native.closeQuietly(readyFd);
        readyFd = -1;
    }
}
