package prefork.bench;

import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Issue 6's targets, checked against this run's medians: each one met or not, with the figures. */
final class Targets {
    private Targets() {}

    static void verdicts(StringBuilder md, Results results, Suite.Options options) {
        md.append("## Targets (issue 6), from this run\n\n");
        for (String prefork : List.of("prefork-java", "prefork-clojure")) {
            for (Workload w : options.tcpWorkloads()) {
                boolean shortConnections = w.kind() == Workload.Kind.SHORT;
                ToDoubleFunction<Measurement> second = shortConnections ? Measurement::cpuMicrosPerOperation
                        : m -> m.p99Micros() / 1000.0;
                String secondName = shortConnections ? "server CPU µs/op" : "p99 ms";
                double rate = median(results, w, prefork, Measurement::rate);
                double other = median(results, w, prefork, second);
                StringBuilder line = new StringBuilder();
                boolean met = !Double.isNaN(rate);
                for (String rival : List.of("thread-pool", "netty")) {
                    double rivalRate = median(results, w, rival, Measurement::rate);
                    double rivalOther = median(results, w, rival, second);
                    boolean rateOk = shortConnections ? rate >= rivalRate : rate > rivalRate;
                    met &= rateOk && other < rivalOther;
                    line.append("; vs ").append(rival).append(": ").append(Stats.number(rate)).append(" vs ")
                            .append(Stats.number(rivalRate)).append(' ').append(w.unit()).append(" (×")
                            .append(Stats.ratio(rate, rivalRate)).append("), ").append(secondName).append(' ')
                            .append(Stats.number(other)).append(" vs ").append(Stats.number(rivalOther)).append(" (×")
                            .append(Stats.ratio(other, rivalOther)).append(')');
                }
                if (Double.isNaN(rate)) {
                    continue;
                }
                md.append("- ").append(prefork).append(", ").append(w.label()).append(": ")
                        .append(shortConnections ? "conn/s ≥ both and lower CPU/conn" : "req/s > both and lower p99")
                        .append(" — **").append(met ? "met" : "not met").append("**").append(line).append('\n');
            }
        }
        readyTarget(md, results, "java", 50);
        readyTarget(md, results, "clojure", 150);
        pssTarget(md, results, "java", 25);
        pssTarget(md, results, "clojure", 45);
        md.append('\n');
    }

    private static void readyTarget(StringBuilder md, Results results, String handler, double limit) {
        double log = startupMedian(results, handler, StartupProbe.Figures::solo);
        double echo = startupMedian(results, handler, StartupProbe.Figures::soloEcho);
        String verdict = Double.isNaN(log) ? "not measured" : log <= limit ? "met"
                : echo <= limit ? "met by spawned → first echo, not by the log's tick-delayed figure" : "not met";
        md.append("- ").append(handler).append(" worker ready ≤ ").append((long) limit).append(" ms, one at a time — **")
                .append(verdict).append("**: median ").append(Stats.number(log)).append(" ms (log), ")
                .append(Stats.number(echo)).append(" ms (spawned → first echo)\n");
    }

    private static void pssTarget(StringBuilder md, Results results, String handler, double limitMib) {
        List<Double> pss = results.startup.stream().filter(s -> s.label().equals(handler))
                .map(s -> s.figures().idle().workerPssKib() / 1024.0).toList();
        double median = Stats.median(pss);
        md.append("- ").append(handler).append(" idle PSS per worker ≤ ").append((long) limitMib).append(" MiB — **")
                .append(Double.isNaN(median) ? "not measured" : median <= limitMib ? "met" : "not met")
                .append("**: ").append(Stats.number(median)).append(" MiB\n");
    }

    private static double median(Results results, Workload w, String server, ToDoubleFunction<Measurement> metric) {
        return Stats.median(Report.values(Report.measurements(results, w.label(), server), metric));
    }

    private static double startupMedian(Results results, String handler,
            Function<StartupProbe.Figures, List<Long>> pick) {
        return Stats.median(results.startup.stream().filter(s -> s.label().equals(handler))
                .flatMap(s -> pick.apply(s.figures()).stream()).map(Long::doubleValue).toList());
    }
}
