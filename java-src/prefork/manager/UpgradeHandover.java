package prefork.manager;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import prefork.Log;
import prefork.Options;
import prefork.internal.Native;

/**
 * The new manager's side of an upgrade ({@link ManagerUpgrade}). The old manager starts it with the listeners
 * on fds 3.. (socket activation: {@link SocketActivation}) and {@code PREFORK_UPGRADE="ready-fd=N release-fd=M
 * parent=PID nrepl-port=P metrics-port=Q"}: the write end of a pipe to tell it "ready", the read end of one on
 * which it says "released" (or closes it) once it has freed the control plane's and metrics' ports and stopped
 * holding the pid file, its pid, and those ports (-1: none), which replace a configured port 0 so that clients
 * find the new manager where they found the old one. The variable is honoured only when {@code parent} is this
 * process's parent, and removed from the environment either way.
 */
public final class UpgradeHandover {
    /** The environment variable. */
    public static final String VARIABLE = "PREFORK_UPGRADE";
    private static final int POLLIN = 1;
    /** Not started by an upgrade. */
    public static final UpgradeHandover NONE = new UpgradeHandover(-1, -1, -1, -1, -1);
    private int readyFd;
    private int releaseFd;
    private final long parent;
    private final int nreplPort;
    private final int metricsPort;

    private UpgradeHandover(int readyFd, int releaseFd, long parent, int nreplPort, int metricsPort) {
        this.readyFd = readyFd;
        this.releaseFd = releaseFd;
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
            int release = Integer.parseInt(fields.getOrDefault("release-fd", ""));
            for (int each : new int[] {fd, release}) {
                Native.check(Native.libc().fcntl(each, Native.F_SETFD, Native.FD_CLOEXEC), "fcntl FD_CLOEXEC on fd " + each);
            }
            return new UpgradeHandover(fd, release, parent, Integer.parseInt(fields.getOrDefault("nrepl-port", "-1")),
                    Integer.parseInt(fields.getOrDefault("metrics-port", "-1")));
        } catch (NumberFormatException | java.io.IOException e) {
            log.log("upgrade: ignoring " + VARIABLE + "=\"" + text + "\": " + e.getMessage());
            return NONE;
        }
    }

    /** Whether this process was started by an upgrade. */
    public boolean active() {
        return parent > 0;
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

    /**
     * Tells the old manager this one is ready (minServers workers in every pool), then waits up to {@code limit}
     * until it has released the ports and the pid file (it says so, or closes the pipe, or exits); closes both.
     */
    public synchronized void readyThenAwaitRelease(Duration limit) {
        if (readyFd < 0) {
            return;
        }
        byte[] line = ("ready " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
        Native.libc().write(readyFd, line, line.length);
        long deadline = System.nanoTime() + limit.toNanos();
        int[] pollfd = {releaseFd, POLLIN};
        int polled = 0;
        while (System.nanoTime() - deadline < 0 && (polled == 0 || (polled < 0 && Native.errno() == Native.EINTR))) {
            pollfd[1] = POLLIN;
            polled = Native.libc().poll(pollfd, 1, 100);
        }
        abandon();
    }

    /** Closes the pipes without a word (a failed start: the old manager reads EOF and carries on). */
    public synchronized void abandon() {
        Native.closeQuietly(readyFd);
        Native.closeQuietly(releaseFd);
        readyFd = -1;
        releaseFd = -1;
    }
}
