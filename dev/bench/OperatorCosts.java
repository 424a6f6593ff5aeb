import java.io.FileOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import prefork.PreforkServer;
import prefork.examples.PidChild;
import prefork.internal.AccessLine;
import prefork.internal.Scoreboard;
import prefork.manager.ProcessFacts;

/**
 * What the operator features cost, each measured in CPU time (ThreadMXBean / the process's own utime+stime),
 * so other load on the machine stretches wall time but not these figures much. `dev/bench/run --operator` runs
 * it (its "Unit costs" table); by hand, after `mvn package`:
 *   java -cp 'target/prefork.jar:target/lib/*' dev/bench/OperatorCosts.java
 * Prints one markdown row per measurement.
 */
public class OperatorCosts {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    public static void main(String[] args) throws Exception {
        Path file = Files.createTempFile("operator-costs", ".scoreboard");
        Files.write(file, new byte[Scoreboard.SLOT_BYTES]);
        Scoreboard board = Scoreboard.map(file, Scoreboard.SLOT_BYTES);
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 51234);
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 51234);
        int n = 20_000_000;
        for (int round = 0; round < 2; round++) { // the first round warms up
            double none = perOp(n, () -> { board.markBusy(0, null); board.markIdle(0, 1); });
            double four = perOp(n, () -> { board.markBusy(0, v4); board.markIdle(0, 1); });
            double six = perOp(n, () -> { board.markBusy(0, v6); board.markIdle(0, 1); });
            if (round == 1) {
                row("scoreboard markBusy+markIdle, no address (Unix socket)", none, "ns");
                row("scoreboard markBusy+markIdle, IPv4 client stored", four, "ns");
                row("scoreboard markBusy+markIdle, IPv6 client stored", six, "ns");
            }
        }
        Files.delete(file);

        try (FileOutputStream devNull = new FileOutputStream("/dev/null")) {
            int lines = 300_000;
            for (int round = 0; round < 2; round++) {
                double format = perOp(lines, () -> AccessLine.format(System.currentTimeMillis(), 4242,
                        "tcp://127.0.0.1:7000", v4, 318_000, AccessLine.Outcome.SERVED));
                double write = perOp(lines, () -> {
                    try {
                        devNull.write((AccessLine.format(System.currentTimeMillis(), 4242, "tcp://127.0.0.1:7000", v4,
                                318_000, AccessLine.Outcome.SERVED) + "\n").getBytes(StandardCharsets.UTF_8));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                if (round == 1) {
                    row("access line: format", format / 1000, "µs");
                    row("access line: format + write(2) (to /dev/null)", write / 1000, "µs");
                }
            }
        }

        try (PreforkServer server = PreforkServer.builder(PidChild.class).port(0).minServers(5).maxServers(5)
                .minSpareServers(0).maxSpareServers(5).metricsPort(0).start()) {
            long worker = server.workers().get(0).pid();
            for (int round = 0; round < 2; round++) {
                double memory = perOp(500, () -> ProcessFacts.memory(worker));
                double facts = perOp(500, () -> ProcessFacts.read(worker));
                double statm = perOp(500, () -> ProcessFacts.rss(worker));
                if (round == 1) {
                    row("statm read of an idle Java worker (one RSS sample)", statm / 1000, "µs");
                    row("smaps_rollup read of an idle Java worker (one memory sample)", memory / 1000, "µs");
                    row("smaps_rollup + stat read (a worker's facts in status/metrics)", facts / 1000, "µs");
                }
            }
            int scrapes = 300;
            scrape(server.metricsPort(), 50);
            long before = processCpuNanos();
            long wall = System.nanoTime();
            scrape(server.metricsPort(), scrapes);
            long cpu = processCpuNanos() - before;
            long elapsed = System.nanoTime() - wall;
            long idleBefore = processCpuNanos();
            Thread.sleep(elapsed / 1_000_000);
            long idle = processCpuNanos() - idleBefore; // what the manager uses anyway over as long
            row("GET /metrics, 5 workers, by curl: manager CPU per scrape (idle CPU subtracted)",
                    (cpu - idle) / 1e6 / scrapes, "ms");
            row("GET /metrics, 5 workers: wall time per scrape (curl included)", elapsed / 1e6 / scrapes, "ms");
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    /** Runs curl against the metrics port {@code count} times (one curl process, many URLs). */
    private static void scrape(int port, int count) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-s", "-o", "/dev/null"));
        for (int i = 0; i < count; i++) {
            command.add("http://127.0.0.1:" + port + "/metrics");
            if (i + 1 < count) {
                command.addAll(java.util.List.of("-o", "/dev/null"));
            }
        }
        Process curl = new ProcessBuilder(command).inheritIO().start();
        if (curl.waitFor() != 0) {
            throw new IllegalStateException("curl failed");
        }
    }

    private static long processCpuNanos() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // USER_HZ 100
    }

    /** CPU nanoseconds per call of {@code body}, over {@code n} calls on this thread. */
    private static double perOp(int n, Runnable body) {
        long start = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
            body.run();
        }
        return (double) (THREADS.getCurrentThreadCpuTime() - start) / n;
    }

    private static void row(String what, double value, String unit) {
        System.out.printf(java.util.Locale.ROOT, "| %s | %.3f %s |%n", what, value, unit);
    }
}
