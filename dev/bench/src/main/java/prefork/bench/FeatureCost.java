package prefork.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server CPU per short connection (one client at a time, a fixed pool of 3 Java echo workers) with each operator
 * feature on, against the same server with every feature off, in one run: every round starts each configuration
 * afresh in a rotated order, so slow drifts of the shared machine fall on all of them alike. An optional baseline
 * jar (an older prefork.jar, without the features) checks that "off" costs nothing; a compare jar (another build)
 * runs with its defaults and with its access log on, to weigh two implementations of it. A first run of the
 * first configuration, not kept, warms the machine's caches. Per configuration and round: the whole process
 * tree's CPU per connection, the manager's own, and the rate.
 */
final class FeatureCost {
    private static final List<String> POOL = List.of("--min-servers", "3", "--max-servers", "3",
            "--min-spare-servers", "0", "--max-spare-servers", "3");

    record Config(String label, Path jar, List<String> flags) {}

    record Row(String config, int round, double treeMicros, double managerMicros, double rate, double otherCpu,
            long operations, long accessLines, long errors) {}

    private FeatureCost() {}

    /** Every feature off, then one on at a time; plus the baseline jar with its defaults when there is one. */
    static List<Config> configs(Path jar, Path baselineJar, Path compareJar, Path scratch) {
        List<Config> configs = new ArrayList<>();
        configs.add(new Config("all off (defaults)", jar, List.of()));
        configs.add(new Config("--access-log FILE", jar, List.of("--access-log", scratch.resolve("access.log").toString())));
        configs.add(new Config("--metrics-port 0 (not scraped)", jar, List.of("--metrics-port", "0")));
        configs.add(new Config("--max-worker-memory 1g --memory-check-interval 1", jar,
                List.of("--max-worker-memory", "1g", "--memory-check-interval", "1")));
        if (baselineJar != null) {
            configs.add(new Config("baseline " + baselineJar + " (defaults)", baselineJar, List.of()));
        }
        if (compareJar != null) {
            configs.add(new Config("compare " + compareJar + " (defaults)", compareJar, List.of()));
            configs.add(new Config("compare " + compareJar + " --access-log FILE", compareJar,
                    List.of("--access-log", scratch.resolve("access.log").toString())));
        }
        return configs;
    }

    /** Runs every configuration {@code rounds} times, interleaved; returns one row per configuration and round. */
    static List<Row> measure(List<Config> configs, int rounds, Duration warmup, Duration duration, Path root,
            Path scratch) throws Exception {
        List<Row> rows = new ArrayList<>();
        once(configs.get(0), 0, warmup, duration, root, scratch);
        for (int round = 1; round <= rounds; round++) {
            for (int i = 0; i < configs.size(); i++) {
                Config config = configs.get((i + round - 1) % configs.size());
                rows.add(once(config, round, warmup, duration, root, scratch));
            }
        }
        return rows;
    }

    private static Row once(Config config, int round, Duration warmup, Duration duration, Path root, Path scratch)
            throws Exception {
        Path accessLog = scratch.resolve("access.log");
        Files.deleteIfExists(accessLog);
        List<String> command = ServerSpec.launcher(config.jar(), "prefork.examples.EchoChild");
        command.addAll(POOL);
        command.addAll(config.flags());
        try (ServerProcess server = ServerProcess.start("feature-cost", command, root)) {
            InetSocketAddress tcp = server.awaitListening("tcp", Duration.ofSeconds(60));
            Thread.sleep(1500); // the 3 workers boot
            CpuMeter meter = new CpuMeter(server);
            LoadGenerator.run(new Workload(Workload.Kind.SHORT, 1, Duration.ZERO, warmup), "warm-up", tcp, meter);
            long manager = server.handle().pid();
            long managerBefore = Procs.cpuTicks(manager);
            Measurement m = LoadGenerator.run(new Workload(Workload.Kind.SHORT, 1, Duration.ZERO, duration),
                    config.label(), tcp, meter);
            double managerMillis = (Procs.cpuTicks(manager) - managerBefore) * Procs.MILLIS_PER_TICK;
            Row row = new Row(config.label(), round, m.cpuMicrosPerOperation(),
                    m.operations() == 0 ? Double.NaN : managerMillis * 1000 / m.operations(), m.rate(),
                    m.otherCpuPercent(), m.operations(), lines(accessLog), m.errorCount());
            Suite.progress(String.format("features round %d %-50s %6.0f conn/s  tree %.1f us/conn  manager %.1f us/conn"
                    + "  other CPU %.0f%%", round, config.label(), row.rate(), row.treeMicros(), row.managerMicros(),
                    row.otherCpu()));
            return row;
        }
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var stream = Files.lines(file)) {
            return stream.count();
        }
    }

    /** The markdown table: medians over rounds with the range, and the median of each round's difference from "off". */
    static void report(StringBuilder md, List<Row> rows) {
        Map<String, List<Row>> byConfig = new LinkedHashMap<>();
        rows.forEach(r -> byConfig.computeIfAbsent(r.config(), k -> new ArrayList<>()).add(r));
        List<Row> off = byConfig.values().iterator().next();
        md.append("| configuration | rounds | server tree CPU µs/conn | manager CPU µs/conn | Δ tree vs off, paired "
                + "by round | conn/s | other CPU % (max) | errors |\n|---|---:|---|---|---|---|---:|---:|\n");
        byConfig.forEach((config, list) -> {
            List<Double> deltas = new ArrayList<>();
            for (Row r : list) {
                off.stream().filter(o -> o.round() == r.round()).findFirst()
                        .ifPresent(o -> deltas.add(r.treeMicros() - o.treeMicros()));
            }
            md.append("| ").append(config).append(" | ").append(list.size()).append(" | ")
                    .append(Stats.withRange(values(list, Row::treeMicros))).append(" | ")
                    .append(Stats.withRange(values(list, Row::managerMicros))).append(" | ")
                    .append(list == off ? "–" : Stats.withRange(deltas)).append(" | ")
                    .append(Stats.withRange(values(list, Row::rate))).append(" | ")
                    .append(Stats.number(Stats.max(values(list, Row::otherCpu)))).append(" | ")
                    .append(list.stream().mapToLong(Row::errors).sum()).append(" |\n");
        });
        rows.stream().filter(r -> r.accessLines() > 0).findFirst().ifPresent(r -> md.append("\nAccess log check: "
                + "the file of round " + r.round() + " held " + r.accessLines() + " lines for "
                + "the warm-up and " + r.operations() + " measured connections.\n"));
    }

    private static List<Double> values(List<Row> rows, java.util.function.ToDoubleFunction<Row> f) {
        return rows.stream().map(r -> f.applyAsDouble(r)).toList();
    }
}
