package prefork.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** The suite's markdown report: machine, figures (median over rounds, with the range), ratios, start-up, memory, targets. */
final class Report {
    private static final double MIB = 1024.0;

    private Report() {}

    static String markdown(Results results, Suite.Options options, List<ServerSpec> servers) {
        StringBuilder md = new StringBuilder();
        header(md, results, options, servers);
        throughput(md, results, options, servers);
        ratios(md, results, options);
        RoundRatios.append(md, results, options, servers);
        startup(md, results);
        firstEcho(md, results);
        memory(md, results);
        Targets.verdicts(md, results, options);
        Details.append(md, results, options);
        return md.toString();
    }

    private static void header(StringBuilder md, Results results, Suite.Options options, List<ServerSpec> servers) {
        md.append("# prefork benchmark results, ")
                .append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"))).append("\n\n");
        md.append("Command: `dev/bench/run").append(options.rounds() > 1 ? " --rounds " + options.rounds() : "")
                .append(options.preforkFlags().stream().map(f -> " --prefork-flag '" + f + "'")
                        .collect(Collectors.joining()))
                .append("`. Each workload: ").append(options.warmup().toSeconds()).append(" s warm-up, then ")
                .append(options.duration().toSeconds()).append(" s measured; ").append(options.rounds())
                .append(options.rounds() > 1 ? " rounds (cells: median (min–max); server order reversed in even rounds)."
                        : " round.").append("\n\n");
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (")
                .append(cpuModel()).append("), ").append(memTotal()).append(" RAM, Linux ")
                .append(read("/proc/sys/kernel/osrelease"))
                .append(", JDK ").append(System.getProperty("java.runtime.version")).append(" (")
                .append(System.getProperty("java.vm.vendor")).append(").")
                .append(" Client (this JVM) and servers share the same cores, over loopback 127.0.0.1.\n\n");
        md.append("Load average (1/5/15 min) before → after each round: ");
        md.append(results.load.stream().map(l -> "round " + l.round() + ": " + l.before() + " → " + l.after())
                .collect(Collectors.joining("; "))).append(". The \"other CPU\" column is what the rest of the machine "
                + "used during the window (percent of all cores): other work disturbs the figures when it is high.\n\n");
        md.append("Servers:\n\n");
        servers.forEach(s -> md.append("- **").append(s.name()).append("**: ").append(s.description()).append('\n'));
        md.append('\n');
    }

    private static void throughput(StringBuilder md, Results results, Suite.Options options, List<ServerSpec> servers) {
        md.append("## Throughput, latency, errors, server CPU\n\n");
        md.append("| workload | server | rate | p50 ms | p99 ms | max ms | errors | server CPU µs/op | other CPU % "
                + "| processes / spawned |\n");
        md.append("|---|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
        for (Workload workload : workloads(options)) {
            for (ServerSpec server : servers) {
                List<Measurement> ms = measurements(results, workload.label(), server.name());
                if (ms.isEmpty()) {
                    md.append("| ").append(workload.label()).append(" | ").append(server.name())
                            .append(" | n/a | | | | ").append(missingReason(results, server.name(), workload))
                            .append(" | | | |\n");
                    continue;
                }
                md.append("| ").append(workload.label()).append(" | ").append(server.name()).append(" | ")
                        .append(Stats.withRange(values(ms, Measurement::rate))).append(' ').append(workload.unit())
                        .append(" | ").append(Stats.number(Stats.median(values(ms, m -> m.p50Micros() / 1000.0))))
                        .append(" | ").append(Stats.withRange(values(ms, m -> m.p99Micros() / 1000.0)))
                        .append(" | ").append(Stats.number(Stats.max(values(ms, m -> m.maxMicros() / 1000.0))))
                        .append(" | ").append(errors(ms))
                        .append(" | ").append(Stats.withRange(values(ms, Measurement::cpuMicrosPerOperation)))
                        .append(" | ").append(Stats.number(Stats.max(values(ms, Measurement::otherCpuPercent))))
                        .append(" | ").append(String.format("%.0f / %.0f", Stats.median(values(ms, m -> m.processes())),
                                Stats.median(values(ms, m -> m.spawned())))).append(" |\n");
            }
        }
        md.append("\nRates are operations completed in the measured window (connections/s for short connections, "
                + "requests/s otherwise). Errors are counted in the window; \"+N warm-up\" are errors during the "
                + "warm-up. Server CPU is user + system time of the server's whole process tree (manager, workers, "
                + "and reaped workers) in the window, divided by the operations. Processes / spawned: the server's "
                + "processes at the window's end and the workers prefork spawned during the window.\n\n");
    }

    private static void ratios(StringBuilder md, Results results, Suite.Options options) {
        md.append("## Ratios (same run, medians)\n\n");
        md.append("| workload | prefork-java / thread-pool: rate, CPU/op, p99 | prefork-java / netty: rate, CPU/op, p99 "
                + "| prefork-clojure / thread-pool: rate, CPU/op, p99 | prefork-clojure / netty: rate, CPU/op, p99 |\n");
        md.append("|---|---|---|---|---|\n");
        for (Workload workload : workloads(options)) {
            md.append("| ").append(workload.label());
            for (String[] pair : new String[][] {{"prefork-java", "thread-pool"}, {"prefork-java", "netty"},
                    {"prefork-clojure", "thread-pool"}, {"prefork-clojure", "netty"}}) {
                md.append(" | ").append(ratio(results, workload, pair[0], pair[1], Measurement::rate)).append(", ")
                        .append(ratio(results, workload, pair[0], pair[1], Measurement::cpuMicrosPerOperation))
                        .append(", ").append(ratio(results, workload, pair[0], pair[1], m -> m.p99Micros()));
            }
            md.append(" |\n");
        }
        md.append("\nA rate ratio above 1 and CPU/op and p99 ratios below 1 favour prefork.\n\n");
    }

    private static void startup(StringBuilder md, Results results) {
        md.append("## Worker start-up (spawn to ready), ms\n\n");
        md.append("| handler | measurement | n | median | min | max |\n|---|---|---:|---:|---:|---:|\n");
        for (String handler : results.startup.stream().map(Results.StartupRow::label).distinct().toList()) {
            List<StartupProbe.Figures> figures = results.startup.stream().filter(s -> s.label().equals(handler))
                    .map(Results.StartupRow::figures).toList();
            if (figures.isEmpty()) {
                continue;
            }
            startupRow(md, handler, "pool of 5 at start: the first alone, then 4 together (manager log)", figures, StartupProbe.Figures::pool);
            startupRow(md, handler, "replacement after SIGKILL, 4 idle workers (manager log)", figures,
                    StartupProbe.Figures::respawn);
            startupRow(md, handler, "one worker at a time (manager log)", figures, StartupProbe.Figures::solo);
            startupRow(md, handler, "one worker at a time, log's \"spawned\" → echo of a waiting connection", figures,
                    StartupProbe.Figures::soloEcho);
        }
        md.append("\nOther processes used ").append(results.startup.stream()
                .map(s -> s.label() + " round " + s.round() + ": " + Stats.number(s.figures().soloOtherCpu()) + " %")
                .collect(Collectors.joining(", "))).append(" of the machine's CPU during the one-at-a-time runs.");
        md.append("\nThe manager looks for a booting worker's readiness every 5 ms, so \"ready in\" is late by 0–5 ms. "
                + "The last row has no such delay but includes accepting and serving the first connection "
                + "(timestamps: the log's wall clock to the client's, 1 ms resolution).\n\n");
    }

    private static void firstEcho(StringBuilder md, Results results) {
        if (results.firstEcho.isEmpty()) {
            return;
        }
        md.append("## Start to first echo, ms\n\n");
        md.append("| server | n | median | min | max |\n|---|---:|---:|---:|---:|\n");
        Map<String, List<Double>> rows = new LinkedHashMap<>();
        for (Results.FirstEchoRow row : results.firstEcho) {
            rows.computeIfAbsent(row.server(), k -> new ArrayList<>())
                    .addAll(row.millis().stream().map(Long::doubleValue).toList());
        }
        rows.forEach((server, all) -> md.append("| ").append(server).append(" | ").append(all.size()).append(" | ")
                .append(Stats.number(Stats.median(all))).append(" | ").append(Stats.number(Stats.min(all)))
                .append(" | ").append(Stats.number(Stats.max(all))).append(" |\n"));
        md.append("\nFrom starting the server's process to the first line echoed, a client connecting every "
                + "millisecond to a port chosen beforehand. prefork: the manager JVM, binding, spawning and one worker's "
                + "start (its class data archive exists: a restart, not the first start after installing).\n\n");
    }

    private static void startupRow(StringBuilder md, String handler, String what, List<StartupProbe.Figures> figures,
            java.util.function.Function<StartupProbe.Figures, List<Long>> pick) {
        List<Double> all = figures.stream().flatMap(f -> pick.apply(f).stream()).map(Long::doubleValue).toList();
        md.append("| ").append(handler).append(" | ").append(what).append(" | ").append(all.size()).append(" | ")
                .append(Stats.number(Stats.median(all))).append(" | ").append(Stats.number(Stats.min(all)))
                .append(" | ").append(Stats.number(Stats.max(all))).append(" |\n");
    }

    private static void memory(StringBuilder md, Results results) {
        md.append("## Memory, MiB (RSS / PSS from /proc/PID/smaps_rollup)\n\n");
        md.append("| server | when | workers | total RSS | total PSS | manager RSS / PSS | per worker RSS / PSS |\n");
        md.append("|---|---|---:|---:|---:|---|---|\n");
        Map<String, List<Memory>> rows = new LinkedHashMap<>();
        for (Results.StartupRow row : results.startup) {
            rows.computeIfAbsent("prefork " + row.label() + " handler | idle pool of 5, 2 s after ready",
                    k -> new ArrayList<>()).add(row.figures().idle());
        }
        for (Results.MemoryRow row : results.memory) {
            rows.computeIfAbsent(row.server() + " | " + row.when(), k -> new ArrayList<>()).add(row.memory());
        }
        rows.forEach((key, ms) -> md.append("| ").append(key).append(" | ")
                .append(String.format("%.0f", Stats.median(mem(ms, m -> m.workers().size())))).append(" | ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.totalRssKib() / MIB)))).append(" | ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.totalPssKib() / MIB)))).append(" | ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.managerRssKib() / MIB)))).append(" / ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.managerPssKib() / MIB)))).append(" | ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.workerRssKib() / MIB)))).append(" / ")
                .append(Stats.number(Stats.median(mem(ms, m -> m.workerPssKib() / MIB)))).append(" |\n"));
        md.append("\nPSS divides pages shared between processes (the JDK's CDS archive, libjvm, jars) among them, so "
                + "the pool's total PSS is what it really costs; RSS counts shared pages in every process.\n\n");
    }

    static List<Workload> workloads(Suite.Options options) {
        List<Workload> all = new ArrayList<>(options.tcpWorkloads());
        if (options.selected(options.udpWorkload())) {
            all.add(options.udpWorkload());
        }
        return all;
    }

    static List<Measurement> measurements(Results results, String workload, String server) {
        return results.runs.stream().map(Results.Run::measurement)
                .filter(m -> m.workload().label().equals(workload) && m.server().equals(server)).toList();
    }

    static List<Double> values(List<Measurement> ms, ToDoubleFunction<Measurement> metric) {
        return ms.stream().map(m -> metric.applyAsDouble(m)).toList();
    }

    /** The median of {@code metric} for a over its median for b, on the same workload. */
    static String ratio(Results results, Workload workload, String a, String b, ToDoubleFunction<Measurement> metric) {
        return Stats.ratio(Stats.median(values(measurements(results, workload.label(), a), metric)),
                Stats.median(values(measurements(results, workload.label(), b), metric)));
    }

    private static List<Double> mem(List<Memory> ms, ToDoubleFunction<Memory> metric) {
        return ms.stream().map(m -> metric.applyAsDouble(m)).toList();
    }

    private static String errors(List<Measurement> ms) {
        Map<ErrorKind, Long> window = new EnumMap<>(ErrorKind.class);
        Map<ErrorKind, Long> warmup = new EnumMap<>(ErrorKind.class);
        for (Measurement m : ms) {
            m.errors().forEach((k, n) -> window.merge(k, n, Long::sum));
            m.warmupErrors().forEach((k, n) -> warmup.merge(k, n, Long::sum));
        }
        String text = window.isEmpty() ? "0" : window.entrySet().stream().map(e -> e.getKey().label + " " + e.getValue())
                .collect(Collectors.joining(", "));
        long warm = warmup.values().stream().mapToLong(Long::longValue).sum();
        return warm == 0 ? text : text + " (+" + warm + " warm-up: " + warmup.entrySet().stream()
                .map(e -> e.getKey().label + " " + e.getValue()).collect(Collectors.joining(", ")) + ")";
    }

    private static String missingReason(Results results, String server, Workload workload) {
        return results.missing.stream().filter(m -> m.startsWith(server + " / " + workload.label())
                || m.startsWith(server + " (")).findFirst()
                .map(m -> m.contains("n/a (not yet supported)") ? "n/a (not yet supported)" : "failed, see below")
                .orElse("not run");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String memTotal() {
        try {
            long kib = Long.parseLong(Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("[^0-9]", ""));
            return String.format("%.1f GiB", kib / 1024.0 / 1024.0);
        } catch (IOException | RuntimeException e) {
            return "? GiB";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
