package prefork.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The report's A/B table: for every prefork server (the standard two and any --variant), its rate and server CPU
 * per operation over the thread pool's and Netty's (and the C prefork peer's, when it ran), computed round by
 * round (each ratio from servers measured in the same round, minutes apart) and shown as median (min–max) over
 * the rounds, so a shared, noisy machine's drift between rounds shows as spread instead of biasing one server.
 */
final class RoundRatios {
    private RoundRatios() {}

    static void append(StringBuilder md, Results results, Suite.Options options, List<ServerSpec> servers) {
        List<String> bases = new ArrayList<>(List.of("thread-pool", "netty"));
        if (servers.stream().anyMatch(s -> s.name().equals(Suite.C_PREFORK))) {
            bases.add(Suite.C_PREFORK);
        }
        md.append("## Per-round ratios against the thread pool and Netty")
                .append(bases.size() > 2 ? " and the C peer" : "").append(" (median (min–max) over rounds)\n\n");
        md.append("| workload | server |");
        bases.forEach(base -> md.append(" rate / ").append(base).append(" | CPU/op / ").append(base).append(" |"));
        md.append("\n|---|---|").append("---|---|".repeat(bases.size())).append('\n');
        for (Workload workload : Report.workloads(options)) {
            for (ServerSpec server : servers) {
                if (!server.prefork()) {
                    continue;
                }
                md.append("| ").append(workload.label()).append(" | ").append(server.name());
                for (String base : bases) {
                    md.append(" | ").append(Stats.withRange(perRound(results, options, workload, server.name(), base,
                            Measurement::rate)));
                    md.append(" | ").append(Stats.withRange(perRound(results, options, workload, server.name(), base,
                            Measurement::cpuMicrosPerOperation)));
                }
                md.append(" |\n");
            }
        }
        md.append("\nA rate ratio above 1 and a CPU/op ratio below 1 favour prefork.\n\n");
    }

    private static List<Double> perRound(Results results, Suite.Options options, Workload workload, String a,
            String b, ToDoubleFunction<Measurement> metric) {
        List<Double> ratios = new ArrayList<>();
        for (int round = 1; round <= options.rounds(); round++) {
            double x = inRound(results, round, workload, a, metric);
            double y = inRound(results, round, workload, b, metric);
            if (!Double.isNaN(x) && !Double.isNaN(y) && y != 0) {
                ratios.add(x / y);
            }
        }
        return ratios;
    }

    private static double inRound(Results results, int round, Workload workload, String server,
            ToDoubleFunction<Measurement> metric) {
        return results.runs.stream().filter(r -> r.round() == round).map(Results.Run::measurement)
                .filter(m -> m.workload().label().equals(workload.label()) && m.server().equals(server))
                .mapToDouble(metric).findFirst().orElse(Double.NaN);
    }
}
