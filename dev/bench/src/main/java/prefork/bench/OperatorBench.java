package prefork.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The operator surface's costs (dev/bench/run --operator): a `prefork ctl status` round trip against the
 * alternatives ({@link CtlRoundTrip}), a /metrics scrape in the manager ({@link ScrapeCost}), CPU per connection
 * with the access log, the metrics port or memory sampling on against all off ({@link FeatureCost}), and the
 * in-process unit costs of dev/bench/OperatorCosts.java (a memory sample, an access line, a scoreboard mark).
 * Returns the markdown report.
 */
final class OperatorBench {
    private static final int SCRAPES = 100;

    private OperatorBench() {}

    static String markdown(Suite.Options options) throws Exception {
        Path jar = options.root().resolve("target/prefork.jar").toAbsolutePath();
        Path scratch = Files.createTempDirectory("prefork-operator-bench");
        StringBuilder md = new StringBuilder();
        md.append("# prefork operator-surface costs, ")
                .append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"))).append("\n\n")
                .append("Command: `dev/bench/run --operator --rounds ").append(options.rounds())
                .append(options.baselineJar() == null ? "" : " --baseline-jar " + options.baselineJar())
                .append(options.compareJar() == null ? "" : " --compare-jar " + options.compareJar())
                .append(options.parts().size() == 4 ? "" : " --parts " + String.join(",", options.parts()))
                .append("`. Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, JDK ")
                .append(System.getProperty("java.runtime.version")).append(", load average before: ")
                .append(Procs.loadAverage()).append(".\n\n");

        if (options.parts().contains("ctl")) {
            ctl(options, jar, scratch, md);
        }
        if (options.parts().contains("scrape")) {
            scrape(options, jar, md);
        }
        if (options.parts().contains("features")) {
            md.append("\n## CPU per connection with each feature on (short connections, c1, pool of 3; ")
                    .append(options.warmup().toSeconds()).append(" s warm-up, ").append(options.duration().toSeconds())
                    .append(" s measured; configurations interleaved, rotated each round)\n\n");
            List<FeatureCost.Config> configs = FeatureCost.configs(jar, options.baselineJar(), options.compareJar(),
                    scratch);
            FeatureCost.report(md, FeatureCost.measure(configs, options.rounds(), options.warmup(), options.duration(),
                    options.root(), scratch));
        }
        if (options.parts().contains("units")) {
            md.append("\n## Unit costs, in process (dev/bench/OperatorCosts.java, thread CPU time)\n\n")
                    .append("| what | cost |\n|---|---:|\n").append(unitCosts(options.root()));
        }
        md.append("\nLoad average after: ").append(Procs.loadAverage()).append(".\n");
        return md.toString();
    }

    private static void ctl(Suite.Options options, Path jar, Path scratch, StringBuilder md) throws Exception {
        int ctlRuns = 3 * options.rounds();
        Suite.progress("ctl round trips, " + ctlRuns + " runs of each command, interleaved");
        Map<String, CtlRoundTrip.Timings> ctl = CtlRoundTrip.measure(jar, ctlRuns, options.root(), scratch);
        md.append("## One operator command, wall time\n\n");
        CtlRoundTrip.report(md, ctl);
    }

    private static void scrape(Suite.Options options, Path jar, StringBuilder md) throws Exception {
        md.append("\n## GET /metrics in the manager\n\n");
        List<ScrapeCost.Row> scrapes = new java.util.ArrayList<>();
        for (int workers : new int[] {5, 20}) {
            Suite.progress("scrape cost with " + workers + " workers");
            scrapes.addAll(ScrapeCost.measure(jar, workers, Math.max(3, options.rounds()), SCRAPES, options.root()));
        }
        ScrapeCost.report(md, scrapes, SCRAPES);
    }

    /** Runs OperatorCosts.java with the launcher jar's class path; returns its markdown rows. */
    private static String unitCosts(Path root) throws Exception {
        Suite.progress("unit costs (OperatorCosts.java)");
        Path out = Files.createTempFile("operator-costs", ".md");
        Process process = new ProcessBuilder(ServerSpec.JAVA, "-cp", "target/prefork.jar:target/lib/*", "dev/bench/OperatorCosts.java")
                .directory(root.toFile()).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("OperatorCosts.java failed");
        }
        String rows = Files.readString(out, StandardCharsets.UTF_8);
        Files.delete(out);
        return rows;
    }
}
