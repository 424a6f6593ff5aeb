package prefork.manager;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import prefork.ExitCause;
import prefork.PoolBounds;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;

/**
 * The operator's status table (Apache's mod_status, gunicornc's "show workers"), as text: one row per worker,
 * then the pool bounds and totals. {@code prefork ctl status}, {@code (prefork.server/status)} and
 * {@code PreforkServer.statusTable()} all print this.
 */
public final class StatusTable {
    private static final String[] HEADER = {"SLOT", "PID", "GEN", "STATE", "BUSY", "CLIENT", "REQS", "AGE", "RSS",
        "PSS", "CPU", "LAST-EXIT", "LISTENER"};

    private StatusTable() {}

    /** The whole table; {@code listenerColumn} adds each worker's listener (for servers with several). */
    public static String render(List<WorkerInfo> workers, ServerStats stats, PoolBounds bounds, boolean listenerColumn) {
        return rows(workers, listenerColumn) + summary(workers, stats, bounds);
    }

    /** The worker rows with their header, one line each. */
    public static String rows(List<WorkerInfo> workers, boolean listenerColumn) {
        int columns = listenerColumn ? HEADER.length : HEADER.length - 1;
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        Instant now = Instant.now();
        for (WorkerInfo w : workers) {
            rows.add(new String[] {Integer.toString(w.slot()), Long.toString(w.pid()), Long.toString(w.generation()),
                w.state().name().toLowerCase(Locale.ROOT), w.busyFor() == null ? "-" : duration(w.busyFor()),
                w.client() == null ? "-" : client(w), Long.toString(w.requests()),
                duration(Duration.between(w.startedAt(), now)), bytes(w.rssBytes()), bytes(w.pssBytes()),
                w.cpuTime() == null ? "-" : String.format(Locale.ROOT, "%.2f", w.cpuTime().toNanos() / 1e9),
                w.previousExit() == null ? "-" : w.previousExit().text(), w.listener()});
        }
        int[] widths = new int[columns];
        rows.forEach(row -> {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        });
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i == 0 ? "" : "  ").append(row[i]).append(" ".repeat(widths[i] - row[i].length()));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** The bounds, the counts by state, the counters and the memory sums. */
    public static String summary(List<WorkerInfo> workers, ServerStats stats, PoolBounds bounds) {
        Map<WorkerState, Integer> byState = new TreeMap<>();
        long rss = 0, pss = 0;
        for (WorkerInfo w : workers) {
            byState.merge(w.state(), 1, Integer::sum);
            rss += Math.max(0, w.rssBytes());
            pss += Math.max(0, w.pssBytes());
        }
        StringBuilder exits = new StringBuilder();
        for (ExitCause cause : ExitCause.values()) {
            long n = stats.exits().getOrDefault(cause, 0L);
            if (n > 0) {
                exits.append(exits.length() == 0 ? "" : ", ").append(cause.text()).append(' ').append(n);
            }
        }
        return "pool: min-servers " + bounds.minServers() + ", max-servers " + bounds.maxServers()
                + ", min-spare-servers " + bounds.minSpareServers() + ", max-spare-servers " + bounds.maxSpareServers()
                + "\nworkers: " + workers.size() + " (starting " + byState.getOrDefault(WorkerState.STARTING, 0)
                + ", idle " + byState.getOrDefault(WorkerState.IDLE, 0) + ", busy "
                + byState.getOrDefault(WorkerState.BUSY, 0) + ", stopping " + byState.getOrDefault(WorkerState.STOPPING, 0)
                + "); generation " + stats.generation() + "; peak " + stats.peakWorkers()
                + "; memory RSS " + bytes(rss) + ", PSS " + bytes(pss)
                + "\ntotals: served " + stats.served() + " requests, spawned " + stats.spawned() + " workers, exits: "
                + (exits.length() == 0 ? "none" : exits) + "\n";
    }

    private static String client(WorkerInfo w) {
        String host = w.client().getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + w.client().getPort();
    }

    /** "850ms", "12.3s", "5m03s", "2h05m", "3d04h". */
    static String duration(Duration d) {
        long millis = Math.max(0, d.toMillis());
        if (millis < 1000) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86400, seconds / 3600 % 24);
    }

    /** "38.4M" (MiB), "1.20G" (GiB), "512K"; "-" for unknown (negative). */
    static String bytes(long bytes) {
        if (bytes < 0) {
            return "-";
        }
        if (bytes < 1 << 20) {
            return (bytes >> 10) + "K";
        }
        if (bytes < 1L << 30) {
            return String.format(Locale.ROOT, "%.1fM", bytes / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2fG", bytes / 1073741824.0);
    }
}
