package prefork.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The report's last sections: what was not measured, example errors, every measurement and the spread between rounds. */
final class Details {
    private Details() {}

    static void append(StringBuilder md, Results results, Suite.Options options) {
        if (!results.missing.isEmpty()) {
            md.append("## Not measured\n\n");
            results.missing.forEach(m -> md.append("- ").append(m.replace("\n", " ")).append('\n'));
            md.append('\n');
        }
        List<String> examples = results.runs.stream().map(Results.Run::measurement)
                .filter(m -> m.errorExample() != null)
                .map(m -> m.server() + " / " + m.workload().label() + ": " + m.errorExample()).distinct().toList();
        if (!examples.isEmpty()) {
            md.append("## First error of each workload that had one\n\n");
            examples.forEach(e -> md.append("- ").append(e).append('\n'));
            md.append('\n');
        }
        md.append("## Every measurement\n\n| round | workload | server | rate | p50 ms | p99 ms | server CPU µs/op | "
                + "client CPU % | other CPU % |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Results.Run run : results.runs) {
            Measurement m = run.measurement();
            md.append("| ").append(run.round()).append(" | ").append(m.workload().label()).append(" | ")
                    .append(m.server()).append(" | ").append(Stats.number(m.rate())).append(" | ")
                    .append(Stats.number(m.p50Micros() / 1000.0)).append(" | ")
                    .append(Stats.number(m.p99Micros() / 1000.0)).append(" | ")
                    .append(Stats.number(m.cpuMicrosPerOperation())).append(" | ")
                    .append(Stats.number(m.clientCpuPercent())).append(" | ")
                    .append(Stats.number(m.otherCpuPercent())).append(" |\n");
        }
        md.append("\nClient CPU: the load generator's share of all cores in the window.");
        if (options.rounds() > 1) {
            md.append(" Spread between rounds ((max − min) / median), over all workloads and servers: rate ")
                    .append(spreads(results, Measurement::rate)).append("; p99 ")
                    .append(spreads(results, m -> m.p99Micros())).append("; server CPU/op ")
                    .append(spreads(results, Measurement::cpuMicrosPerOperation)).append('.');
        }
        md.append("\n\n");
    }

    private static String spreads(Results results, ToDoubleFunction<Measurement> metric) {
        Map<String, List<Double>> groups = new LinkedHashMap<>();
        results.runs.forEach(r -> groups.computeIfAbsent(r.measurement().workload().label() + "/" + r.measurement()
                .server(), k -> new ArrayList<>()).add(metric.applyAsDouble(r.measurement())));
        List<Double> spreads = groups.values().stream().filter(v -> v.size() > 1).map(Stats::spreadPercent).toList();
        return "median " + Stats.number(Stats.median(spreads)) + " %, largest " + Stats.number(Stats.max(spreads)) + " %";
    }
}
