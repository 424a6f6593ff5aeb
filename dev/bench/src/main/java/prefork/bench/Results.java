package prefork.bench;

import java.util.ArrayList;
import java.util.List;

/** Everything one run of the suite measured, round by round, and what could not be measured. */
final class Results {
    record Run(int round, Measurement measurement) {}

    record MemoryRow(int round, String server, String when, Memory memory) {}

    record StartupRow(int round, String label, StartupProbe.Figures figures) {}

    /** Start to first echo of one server, ms ({@link FirstEcho}). */
    record FirstEchoRow(int round, String server, List<Long> millis) {}

    record LoadRow(int round, String before, String after) {}

    final List<Run> runs = new ArrayList<>();
    final List<MemoryRow> memory = new ArrayList<>();
    final List<StartupRow> startup = new ArrayList<>();
    final List<LoadRow> load = new ArrayList<>();
    final List<FirstEchoRow> firstEcho = new ArrayList<>();
    /** Workloads or servers that could not be measured, and why: "server / workload: reason". */
    final List<String> missing = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    synchronized void add(int round, Measurement measurement) {
        runs.add(new Run(round, measurement));
    }
}
