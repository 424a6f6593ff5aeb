package prefork.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The benchmark suite, run by dev/bench/run: worker start-up and idle memory of prefork's Java and Clojure
 * handlers, then each server under test started in turn as its own JVM (prefork with the Java echo child,
 * prefork with the Clojure echo handler, a thread-pool echo server, a Netty echo server) and loaded by
 * every workload from this JVM, one server at a time. Prints the markdown report and writes it to a file.
 *
 * <p>Options: --root DIR (the project, default .), --rounds N (default 1; the server order is reversed in
 * even rounds), --warmup S (2), --duration S (5), --out FILE (dev/bench/results-DATE.md), --servers a,b
 * (a subset by name), --skip-startup, --prefork-flag ARG (one more launcher argument for every prefork server,
 * repeatable; e.g. --prefork-flag "--worker-jvm-opts=-XX:+UseSerialGC -Xmx64m"), --variant NAME=JAR (one more
 * prefork server with the Java echo child, named NAME, from JAR, or this tree's jar when JAR is empty: an A/B
 * comparison inside one run, each round measuring both, and worker start-up of both handlers), --variant-flag NAME=ARG (one more launcher argument for
 * that variant, repeatable); --operator measures the operator surface instead ({@link OperatorBench}; report
 * dev/bench/results-DATE-operator.md), with --baseline-jar JAR (an older prefork.jar to compare "all off" with)
 * and --compare-jar JAR (another build, run with its defaults and with its access log on), --parts
 * ctl,scrape,features,units (a subset of the operator measurements), --workloads a,b (a subset of the workloads by
 * label, dashes for spaces: short-c1, short-c10, short-c50, persistent-c10, udp-c10).
 */
public final class Suite {
    private Suite() {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Runtime.getRuntime().addShutdownHook(new Thread(ServerProcess::closeAll, "bench-cleanup"));
        if (options.operator()) {
            write(OperatorBench.markdown(options), options);
            return;
        }
        Results results = new Results();
        List<ServerSpec> servers = servers(options);
        for (int round = 1; round <= options.rounds(); round++) {
            String before = Procs.loadAverage();
            progress("round " + round + " of " + options.rounds() + ", load average " + before);
            if (!options.skipStartup()) {
                startup(options, results, round);
                firstEcho(servers, options, results, round);
            }
            List<ServerSpec> order = new ArrayList<>(servers);
            if (round % 2 == 0) {
                Collections.reverse(order);
            }
            for (ServerSpec server : order) {
                measure(server, options, results, round);
            }
            results.load.add(new Results.LoadRow(round, before, Procs.loadAverage()));
        }
        write(Report.markdown(results, options, servers), options);
    }

    private static void write(String report, Options options) throws java.io.IOException {
        System.out.println(report);
        Files.createDirectories(options.out().toAbsolutePath().getParent());
        Files.writeString(options.out(), report);
        progress("report written to " + options.out());
    }

    /** The C prefork peer's name in reports; absent where dev/bench/run found no C compiler. */
    static final String C_PREFORK = "c-prefork";

    static List<ServerSpec> servers(Options options) {
        Path jar = options.root().resolve("target/prefork.jar").toAbsolutePath();
        List<ServerSpec> all = new ArrayList<>(List.of(
                ServerSpec.prefork("prefork-java", "prefork launcher, Java child prefork.examples.EchoChild, "
                        + "--min-servers 5 --max-servers 20", jar, "prefork.examples.EchoChild", options.preforkFlags()),
                ServerSpec.prefork("prefork-clojure", "prefork launcher, Clojure handler prefork.examples.echo/handle, "
                        + "--min-servers 5 --max-servers 20", jar, "prefork.examples.echo/handle",
                        options.preforkFlags()),
                ServerSpec.bench("thread-pool", "one JVM, ServerSocket + fixed pool of 20 platform threads "
                        + "(UDP: 20 threads in receive)", ThreadPoolEchoServer.class.getName(), "20"),
                ServerSpec.bench("netty", "one JVM, Netty 4.2.18 epoll, default event loops "
                        + "(2 x cores), LineBasedFrameDecoder", NettyEchoServer.class.getName())));
        Path cPeer = options.root().resolve("dev/bench/target/prefork-echo");
        if (Files.isExecutable(cPeer)) { // dev/bench/run builds it where a C compiler is
            all.add(ServerSpec.nativeServer(C_PREFORK, "C prefork peer (dev/bench/c): 12 children block in accept() on "
                    + "the shared socket, 12 in recvfrom(); fixed, no spare management", cPeer, "--children", "12"));
        }
        List<ServerSpec> chosen = new ArrayList<>(all.stream()
                .filter(s -> options.servers().isEmpty() || options.servers().contains(s.name())).toList());
        for (Variant variant : options.variants()) {
            List<String> flags = new ArrayList<>(options.preforkFlags());
            flags.addAll(variant.flags());
            chosen.add(ServerSpec.prefork(variant.name(), "variant: prefork launcher from "
                    + (variant.jar() == null ? "this tree" : variant.jar()) + ", Java child prefork.examples.EchoChild, "
                    + "--min-servers 5 --max-servers 20", variant.jar() == null ? jar : variant.jar(),
                    "prefork.examples.EchoChild", flags));
        }
        return chosen;
    }

    /**
     * Worker start-up and idle memory of both example handlers from this tree's jar, then from each variant's
     * (labelled "java, NAME" and "clojure, NAME"), with the variant's flags.
     */
    private static void startup(Options options, Results results, int round) {
        Path jar = options.root().resolve("target/prefork.jar").toAbsolutePath();
        startup(options, results, round, "", jar, options.preforkFlags());
        for (Variant variant : options.variants()) {
            List<String> flags = new ArrayList<>(options.preforkFlags());
            flags.addAll(variant.flags());
            startup(options, results, round, ", " + variant.name(), variant.jar() == null ? jar : variant.jar(), flags);
        }
    }

    private static void startup(Options options, Results results, int round, String suffix, Path jar,
            List<String> flags) {
        String[][] handlers = {{"java", "prefork.examples.EchoChild"}, {"clojure", "prefork.examples.echo/handle"}};
        for (String[] handler : handlers) {
            String label = handler[0] + suffix;
            progress("start-up and idle memory: " + label + " handler " + handler[1]);
            try {
                StartupProbe.Figures figures = StartupProbe.measure("startup-" + handler[0], jar, handler[1],
                        flags, options.root());
                results.startup.add(new Results.StartupRow(round, label, figures));
            } catch (Exception e) {
                results.missing.add("start-up / " + label + " (round " + round + "): " + e.getMessage());
                progress("FAILED: " + e.getMessage());
            }
        }
    }

    private static void firstEcho(List<ServerSpec> servers, Options options, Results results, int round) {
        for (ServerSpec spec : servers) {
            progress("start to first echo: " + spec.name());
            try {
                List<Long> millis = FirstEcho.measure(spec, options.root());
                results.firstEcho.add(new Results.FirstEchoRow(round, spec.name(), millis));
                progress(spec.name() + " start to first echo, ms: " + millis);
            } catch (Exception e) {
                results.missing.add("start to first echo / " + spec.name() + " (round " + round + "): " + e.getMessage());
                progress("FAILED: " + e.getMessage());
            }
        }
    }

    private static void measure(ServerSpec spec, Options options, Results results, int round) throws Exception {
        progress(spec.name() + ": starting (" + Procs.loadAverage() + ")");
        ServerProcess server = null;
        try {
            server = ServerProcess.start(spec.name(), spec.tcpCommand(), options.root());
            InetSocketAddress tcp = server.awaitListening("tcp", Duration.ofSeconds(120));
            Thread.sleep(1000);
            results.memory.add(new Results.MemoryRow(round, spec.name(), "idle, before load",
                    Memory.of(server.handle())));
            for (Workload workload : options.tcpWorkloads()) {
                run(workload, spec.name(), tcp, server, results, round);
            }
            Thread.sleep(2000);
            results.memory.add(new Results.MemoryRow(round, spec.name(), "idle, 2 s after load",
                    Memory.of(server.handle())));
            if (spec.udpCommand() == null && options.selected(options.udpWorkload())) {
                run(options.udpWorkload(), spec.name(), server.awaitListening("udp", Duration.ofSeconds(5)), server,
                        results, round);
            }
        } catch (IllegalStateException e) {
            results.missing.add(spec.name() + " (round " + round + "): " + e.getMessage());
            progress("FAILED: " + e.getMessage());
        } finally {
            stop(server);
        }
        if (spec.udpCommand() != null && options.selected(options.udpWorkload())) {
            measureSeparateUdp(spec, options, results, round);
        }
    }

    private static void measureSeparateUdp(ServerSpec spec, Options options, Results results, int round)
            throws Exception {
        ServerProcess server = null;
        try {
            server = ServerProcess.start(spec.name() + "-udp", spec.udpCommand(), options.root());
            InetSocketAddress udp = server.awaitListening("udp", Duration.ofSeconds(120));
            run(options.udpWorkload(), spec.name(), udp, server, results, round);
        } catch (IllegalStateException e) {
            results.missing.add(spec.name() + " / " + options.udpWorkload().label() + " (round " + round
                    + "): n/a (not yet supported): " + e.getMessage());
            progress("UDP n/a for " + spec.name() + ": " + e.getMessage());
        } finally {
            stop(server);
        }
    }

    private static void run(Workload workload, String name, InetSocketAddress address, ServerProcess server,
            Results results, int round) throws InterruptedException {
        Measurement m = LoadGenerator.run(workload, name, address, new CpuMeter(server));
        results.add(round, m);
        progress(String.format("%s %-15s %10.0f %s  p50 %.2f ms  p99 %.2f ms  max %.1f ms  errors %d  "
                        + "server CPU %.1f us/op  other CPU %.0f%%  processes %d (%d spawned)", name,
                workload.label(), m.rate(),
                workload.unit(), m.p50Micros() / 1000.0, m.p99Micros() / 1000.0, m.maxMicros() / 1000.0,
                m.errorCount(), m.cpuMicrosPerOperation(), m.otherCpuPercent(), m.processes(), m.spawned()));
        Thread.sleep(1000);
    }

    private static void stop(ServerProcess server) {
        if (server != null) {
            server.close();
        }
    }

    static void progress(String line) {
        System.err.println("bench: " + line);
    }

    /** One more prefork server for an A/B comparison: its name, its jar (null: this tree's) and launcher flags. */
    record Variant(String name, Path jar, List<String> flags) {}

    /** The suite's options; see the class comment. */
    record Options(Path root, int rounds, Duration warmup, Duration duration, Path out, Set<String> servers,
            boolean skipStartup, List<String> preforkFlags, List<Variant> variants, boolean operator,
            Path baselineJar, Path compareJar, Set<String> parts, Set<String> workloads) {
        static Options parse(String[] args) {
            Path root = Path.of(".");
            int rounds = 1;
            int warmup = 2, duration = 5;
            Path out = null;
            Set<String> servers = Set.of();
            boolean skipStartup = false;
            List<String> preforkFlags = new ArrayList<>();
            Map<String, Path> variantJars = new LinkedHashMap<>();
            Map<String, List<String>> variantFlags = new LinkedHashMap<>();
            boolean operator = false;
            Path baselineJar = null;
            Path compareJar = null;
            Set<String> parts = new java.util.TreeSet<>(List.of("ctl", "scrape", "features", "units"));
            Set<String> workloads = Set.of();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--root" -> root = Path.of(args[++i]);
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--duration" -> duration = Integer.parseInt(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    case "--servers" -> servers = Set.of(args[++i].split(","));
                    case "--skip-startup" -> skipStartup = true;
                    case "--prefork-flag" -> preforkFlags.add(args[++i]);
                    case "--variant" -> {
                        String[] nameJar = nameValue(args[++i], "--variant");
                        variantJars.put(nameJar[0], nameJar[1].isEmpty() ? null : Path.of(nameJar[1]).toAbsolutePath());
                    }
                    case "--variant-flag" -> {
                        String[] nameFlag = nameValue(args[++i], "--variant-flag");
                        variantFlags.computeIfAbsent(nameFlag[0], k -> new ArrayList<>()).add(nameFlag[1]);
                    }
                    case "--operator" -> operator = true;
                    case "--baseline-jar" -> baselineJar = Path.of(args[++i]).toAbsolutePath();
                    case "--compare-jar" -> compareJar = Path.of(args[++i]).toAbsolutePath();
                    case "--parts" -> parts = new java.util.TreeSet<>(List.of(args[++i].split(",")));
                    case "--workloads" -> workloads = Set.of(args[++i].replace('-', ' ').split(","));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (rounds < 1 || rounds > 10 || warmup < 0 || warmup > 60 || duration < 1 || duration > 120) {
                throw new IllegalArgumentException("--rounds 1..10, --warmup 0..60, --duration 1..120");
            }
            if (!variantJars.keySet().containsAll(variantFlags.keySet())) {
                throw new IllegalArgumentException("--variant-flag for an undeclared --variant: " + variantFlags.keySet());
            }
            List<Variant> variants = new ArrayList<>();
            variantJars.forEach((name, jar) -> variants.add(new Variant(name, jar,
                    List.copyOf(variantFlags.getOrDefault(name, List.of())))));
            if (out == null) {
                out = root.resolve("dev/bench/results-" + LocalDate.now() + (operator ? "-operator" : "") + ".md");
            }
            return new Options(root.toAbsolutePath().normalize(), rounds, Duration.ofSeconds(warmup),
                    Duration.ofSeconds(duration), out, servers, skipStartup, List.copyOf(preforkFlags),
                    List.copyOf(variants), operator, baselineJar, compareJar, parts, workloads);
        }

        private static String[] nameValue(String arg, String option) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(option + " wants NAME=VALUE, not " + arg);
            }
            return new String[] {arg.substring(0, eq), arg.substring(eq + 1)};
        }

        /** The TCP workloads to run: all four, or those --workloads names. */
        List<Workload> tcpWorkloads() {
            return Stream.of(new Workload(Workload.Kind.SHORT, 1, warmup, duration),
                    new Workload(Workload.Kind.SHORT, 10, warmup, duration),
                    new Workload(Workload.Kind.SHORT, 50, warmup, duration),
                    new Workload(Workload.Kind.PERSISTENT, 10, warmup, duration)).filter(this::selected).toList();
        }

        Workload udpWorkload() {
            return new Workload(Workload.Kind.UDP, 10, warmup, duration);
        }

        /** Whether --workloads (empty: all) names this one. */
        boolean selected(Workload workload) {
            return workloads.isEmpty() || workloads.contains(workload.label());
        }
    }
}
