package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar target/prefork.jar ctl ...} as an operator runs it, against a manager started through the
 * launcher with a Clojure handler (so workers can evaluate code): every command, its output and exit status,
 * over TCP and over a Unix socket found through the server's config file.
 */
@Timeout(120)
class CtlIT extends WithLaunchedManager {
    private static final String HANDLER = "prefork.examples.echo/handle";

    /** What a ctl run printed and its exit status. */
    record Run(int status, String out, String err) {}


    @Test
    void everyCommandOverTcp() throws Exception {
        manager = new LaunchedManager("ctl-it-tcp", HANDLER, "--min-servers", "2", "--max-servers", "4",
                "--min-spare-servers", "0", "--max-spare-servers", "4", "--nrepl-port", "0");
        String port = nreplPort(manager.nextLine());
        Set<Long> pids = manager.workers();
        try (Socket held = Clients.connect(manager.port)) {
            assertEquals("hi", Clients.send(held, "hi"));
            Run status = ctl("--nrepl-port", port, "status");
            assertEquals(0, status.status(), status.toString());
            assertTrue(status.out().startsWith("SLOT  PID"), status.out());
            pids.forEach(pid -> assertTrue(status.out().contains(" " + pid + " "), pid + " in " + status.out()));
            assertTrue(status.out().contains("127.0.0.1:" + held.getLocalPort()), "the busy worker's client: "
                    + status.out());
            assertTrue(status.out().contains("pool: min-servers 2, max-servers 4"), status.out());
        }
        Run json = ctl("--nrepl-port", port, "workers", "--json");
        assertEquals(0, json.status(), json.toString());
        assertTrue(json.out().startsWith("[{") && json.out().contains("\"pss-bytes\":"), json.out());
        pids.forEach(pid -> assertTrue(json.out().contains("\"pid\":" + pid + ","), json.out()));
        Run stats = ctl("--nrepl-port", port, "stats", "--json");
        assertTrue(stats.out().contains("\"served\":1,") && stats.out().contains("\"min-servers\":2"), stats.out());
        assertTrue(ctl("--nrepl-port", port, "stats").out().contains("served 1\n"));

        Run value = ctl("--nrepl-port", port, "eval", "(do (println \"said\") (count (prefork.server/workers prefork.server/*server*)))");
        assertEquals(new Run(0, "said\n2\n", ""), value);
        Run failing = ctl("--nrepl-port", port, "eval", "(/ 1 0)");
        assertEquals(1, failing.status());
        assertTrue(failing.err().contains("java.lang.ArithmeticException: Divide by zero"), failing.err());
        Run inWorkers = ctl("--nrepl-port", port, "eval", "--workers", "(.pid (java.lang.ProcessHandle/current))");
        assertEquals(0, inWorkers.status(), inWorkers.toString());
        pids.forEach(pid -> assertTrue(inWorkers.out().contains(pid + " ok " + pid + "\n"), inWorkers.out()));

        Run grow = ctl("--nrepl-port", port, "resize", "--min-servers", "3");
        assertEquals(new Run(0, "bounds: min-servers 3, max-servers 4, min-spare-servers 0, max-spare-servers 4\n",
                ""), grow);
        Await.until(Duration.ofSeconds(30), "a third worker", () -> manager.workers().size() == 3);
        Run refused = ctl("--nrepl-port", port, "resize", "--min-servers", "9");
        assertEquals(1, refused.status());
        assertTrue(refused.err().contains("--min-servers=9 is greater than --max-servers=4"), refused.err());
        Run bad = ctl("--nrepl-port", port, "resize", "--max-servers", "lots");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("--max-servers=\"lots\" is not a whole number"), bad.err());
        assertEquals(2, ctl("--nrepl-port", port, "frobnicate").status());
        assertEquals(2, ctl("status").status(), "no connection given");

        Set<Long> before = manager.workers();
        assertEquals(0, ctl("--nrepl-port", port, "reload").status());
        Await.until(Duration.ofSeconds(60), "reload replaced every worker", () -> {
            Set<Long> now = manager.workers();
            return now.size() == 3 && now.stream().noneMatch(before::contains);
        });
        assertEquals(new Run(0, "stopping (graceful)\n", ""), ctl("--nrepl-port", port, "stop"));
        assertTrue(manager.process.waitFor(60, TimeUnit.SECONDS), "the manager stops");
        assertEquals(0, manager.process.exitValue());
        Run gone = ctl("--nrepl-port", port, "status");
        assertEquals(1, gone.status());
        assertTrue(gone.err().contains("cannot connect to 127.0.0.1:" + port), gone.err());
    }

    @Test
    void overAUnixSocketNamedInTheConfigFileStopNowCutsAHeldConnection() throws Exception {
        Path socket = Path.of("target", "ctl-it.sock").toAbsolutePath();
        Path config = Path.of("target", "ctl-it.properties").toAbsolutePath();
        Files.deleteIfExists(socket);
        Files.writeString(config, "handler = " + HANDLER + "\nnrepl-socket = " + socket + "\nmin-servers = 1\n"
                + "min-spare-servers = 0\n");
        manager = new LaunchedManager("ctl-it-unix", HANDLER, "--config", config.toString());
        assertTrue(manager.nextLine().contains("unix:" + socket));
        Run status = ctl("--config", config.toString(), "status");
        assertEquals(0, status.status(), status.toString());
        assertTrue(status.out().contains("workers: 1 "), status.out());
        try (Socket held = Clients.connect(manager.port)) {
            assertEquals("x", Clients.send(held, "x"));
            assertEquals(new Run(0, "stopping (now)\n", ""), ctl("--nrepl-socket", socket.toString(), "stop", "--now"));
            assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS), "the manager stops at once");
            assertEquals(null, Clients.readLine(held), "the held connection was cut");
        }
        assertEquals(0, manager.process.exitValue());
        assertTrue(!Files.exists(socket), "the socket file is removed");
    }

    static String nreplPort(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^prefork: nREPL control plane on 127\\.0\\.0\\.1:(\\d+) ")
                .matcher(line);
        assertTrue(m.find(), line);
        return m.group(1);
    }

    /** Runs {@code java -jar target/prefork.jar ctl ARGS} (bounded: 60 s). */
    static Run ctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", Path.of("target", "prefork.jar").toAbsolutePath().toString(), "ctl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        String out = read(process.getInputStream());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("ctl " + List.of(args) + " did not end within 60 s");
        }
        return new Run(process.exitValue(), out, err.join());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "error: " + e;
        }
    }
}
