package prefork.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Wall time of one operator command against a running server (an idle pool of 5 Java workers with the nREPL
 * control plane on TCP), each a new process as an operator's shell starts it: `prefork ctl status` as shipped,
 * with an AppCDS archive of its classes (made once here with -XX:ArchiveClassesAtExit), and with that archive
 * plus C1 only and SerialGC; Debian's nREPL 1.0 `nrepl.cmdline` evaluating (prefork.repl/status); and, for
 * scale, a bare `java -version` and a Python 3 start that imports what a socket client needs (a floor for
 * gunicornc, which is Python). The variants alternate within every run, so load on the shared machine falls on
 * all of them alike. Each command's output must show the status table (or its floor's own success). Besides wall
 * time, each command's own CPU time (user + system, read as this JVM's cutime + cstime growth when it is reaped),
 * which load from other work on the machine stretches much less.
 */
final class CtlRoundTrip {
    private static final String DEBIAN_NREPL = "/usr/share/java/nrepl.jar:/usr/share/java/clojure.jar:"
            + "/usr/share/java/spec.alpha.jar:/usr/share/java/core.specs.alpha.jar";

    record Variant(String label, List<String> command, String stdin, String expect) {}

    /** Wall and CPU milliseconds of the runs of one command. */
    record Timings(List<Double> wall, List<Double> cpu) {}

    private CtlRoundTrip() {}

    static Map<String, Timings> measure(Path jar, int runs, Path root, Path scratch) throws Exception {
        List<String> server = ServerSpec.launcher(jar, "prefork.examples.EchoChild", "--nrepl-port", "0",
                "--min-servers", "5", "--max-servers", "5", "--min-spare-servers", "0", "--max-spare-servers", "5");
        Map<String, Timings> millis = new LinkedHashMap<>();
        try (ServerProcess process = ServerProcess.start("ctl-round-trip", server, root)) {
            String port = Integer.toString(process.awaitListening("nrepl", Duration.ofSeconds(60)).getPort());
            process.awaitListening("tcp", Duration.ofSeconds(60));
            Thread.sleep(2000);
            List<Variant> variants = variants(jar, port, scratch);
            for (int run = 0; run <= runs; run++) { // run 0 warms the page cache and is not kept
                for (Variant variant : variants) {
                    double[] ms = time(variant, root);
                    if (run > 0) {
                        Timings t = millis.computeIfAbsent(variant.label(),
                                k -> new Timings(new ArrayList<>(), new ArrayList<>()));
                        t.wall().add(ms[0]);
                        t.cpu().add(ms[1]);
                    }
                }
            }
        }
        millis.forEach((label, t) -> Suite.progress(label + ": " + Stats.withRange(t.wall()) + " ms, CPU "
                + Stats.withRange(t.cpu()) + " ms"));
        return millis;
    }

    private static List<Variant> variants(Path jar, String port, Path scratch) throws Exception {
        List<String> ctl = List.of("-jar", jar.toString(), "ctl", "--nrepl-port", port, "status");
        String archive = scratch.resolve("ctl.jsa").toString();
        String tunedArchive = scratch.resolve("ctl-c1-serial.jsa").toString();
        List<String> tuned = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        time(new Variant("dump", java(List.of("-XX:ArchiveClassesAtExit=" + archive), ctl), null, "SLOT"), scratch);
        time(new Variant("dump", java(concat(tuned, List.of("-XX:ArchiveClassesAtExit=" + tunedArchive)), ctl), null,
                "SLOT"), scratch);
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("prefork ctl status (java -jar, as shipped)", java(List.of(), ctl), null, "SLOT"));
        variants.add(new Variant("prefork ctl status, AppCDS archive of ctl", java(List.of("-XX:SharedArchiveFile="
                + archive), ctl), null, "SLOT"));
        variants.add(new Variant("prefork ctl status, archive + C1 only + SerialGC", java(concat(tuned,
                List.of("-XX:SharedArchiveFile=" + tunedArchive)), ctl), null, "SLOT"));
        if (Files.exists(Path.of("/usr/share/java/nrepl.jar"))) {
            variants.add(new Variant("Debian nrepl.cmdline, (prefork.repl/status) on stdin", java(List.of(),
                    List.of("-cp", DEBIAN_NREPL, "clojure.main", "-m", "nrepl.cmdline", "--connect", "--host",
                            "127.0.0.1", "--port", port)), "(prefork.repl/status)\n", "SLOT"));
        }
        variants.add(new Variant("floor: java -version", java(List.of(), List.of("-version")), null, "version"));
        variants.add(new Variant("floor: python3 -c 'import socket, json, struct'", List.of("python3", "-c",
                "import socket, json, struct; print('ok')"), null, "ok"));
        return variants;
    }

    private static List<String> java(List<String> flags, List<String> rest) {
        return concat(concat(List.of(ServerSpec.JAVA), flags), rest);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /**
     * Runs the command to its end (at most 180 s); returns {wall ms, CPU ms}; throws unless it exits 0 and shows
     * {@code expect}.
     */
    private static double[] time(Variant variant, Path directory) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ctl-round-trip", ".out");
        long childTicks = Procs.childTicks(ProcessHandle.current().pid());
        long start = System.nanoTime();
        Process process = new ProcessBuilder(variant.command()).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (variant.stdin() != null) {
            process.getOutputStream().write(variant.stdin().getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(variant.label() + " did not end within 180 s");
        }
        double ms = (System.nanoTime() - start) / 1e6;
        double cpu = (Procs.childTicks(ProcessHandle.current().pid()) - childTicks) * Procs.MILLIS_PER_TICK;
        String output = Files.readString(out);
        Files.delete(out);
        if (process.exitValue() != 0 || !output.contains(variant.expect())) {
            throw new IllegalStateException(variant.label() + " failed (exit " + process.exitValue() + "): " + output);
        }
        return new double[] {ms, cpu};
    }

    static void report(StringBuilder md, Map<String, Timings> millis) {
        md.append("| command (a new process each time) | runs | wall ms, median (min–max) | spread | CPU ms (user + "
                + "system), median (min–max) |\n|---|---:|---|---:|---|\n");
        millis.forEach((label, t) -> md.append("| ").append(label).append(" | ").append(t.wall().size()).append(" | ")
                .append(Stats.withRange(t.wall())).append(" | ").append(Math.round(Stats.spreadPercent(t.wall())))
                .append(" % | ").append(Stats.withRange(t.cpu())).append(" |\n"));
    }
}
