package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.OutcomeChild;

/**
 * The logs an operator reads, from a manager started through the launcher: ISO-8601 stamps on every line,
 * the signal named in the line reacting to it, handler output prefixed with its worker's pid, and the access
 * log with one line per connection and its outcome (served, denied, failed, killed).
 */
@Timeout(120)
class LogsIT extends WithLaunchedManager {
    private static final Pattern STAMPED = Pattern.compile(
            "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d prefork\\[\\d+] .+");


    @Test
    void accessLogHasOneLinePerConnectionWithItsOutcome() throws Exception {
        Path accessLog = Path.of("target", "logs-it-access.access"); // target/logs-it-access.log is the manager's log
        Files.deleteIfExists(accessLog);
        manager = new LaunchedManager("logs-it-access", OutcomeChild.class, "--min-servers", "1", "--max-servers", "2",
                "--min-spare-servers", "1", "--max-spare-servers", "2", "--timeout", "1", "--access-log",
                accessLog.toString());
        int[] ports = new int[4];
        long served;
        try (Socket socket = Clients.connect(manager.port)) {
            ports[0] = socket.getLocalPort();
            served = Long.parseLong(Clients.send(socket, "hello"));
        }
        try (Socket socket = Clients.connect(manager.port)) {
            ports[1] = socket.getLocalPort();
            assertEquals(null, Clients.send(socket, "deny"), "denied: closed without a reply");
        }
        try (Socket socket = Clients.connect(manager.port)) {
            ports[2] = socket.getLocalPort();
            assertEquals(null, Clients.send(socket, "boom"), "failed: closed without a reply");
        }
        try (Socket socket = Clients.connect(manager.port)) {
            ports[3] = socket.getLocalPort();
            assertEquals(null, Clients.send(socket, "hang"), "killed by the 1 s timeout");
        }
        Await.until(Duration.ofSeconds(20), "four access lines", () -> lines(accessLog).size() >= 4);
        List<String> lines = lines(accessLog);
        String[] outcomes = {"served", "denied", "failed", "killed"};
        for (int i = 0; i < 4; i++) {
            int port = ports[i];
            String line = lines.stream().filter(l -> l.contains(" client=127.0.0.1:" + port + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for port " + port + " in " + lines));
            assertTrue(line.matches("^\\S+ pid=\\d+ listener=tcp://127\\.0\\.0\\.1:" + manager.port + " client=127\\.0\\.0"
                    + "\\.1:" + port + " duration_ms=\\d+\\.\\d{3} outcome=" + outcomes[i] + "$"), line);
            OffsetDateTime.parse(line.substring(0, line.indexOf(' ')));
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("pid=" + served + " ") && l.endsWith("outcome=served")));
        String killed = lines.stream().filter(l -> l.endsWith("outcome=killed")).findFirst().orElseThrow();
        double millis = Double.parseDouble(killed.replaceAll(".* duration_ms=(\\S+) .*", "$1"));
        assertTrue(millis >= 1000, "the killed request lasted until the timeout: " + killed);
        assertEquals(4, lines.size(), "one line per connection: " + lines);

        Await.until(Duration.ofSeconds(10), "the handler's output is in the log",
                () -> manager.log().contains("] handled boom"));
        assertTrue(manager.log().contains("[worker " + served + "] handled hello"), "handler output carries the "
                + "worker's pid:\n" + manager.log());
        for (String line : manager.lines()) {
            assertTrue(STAMPED.matcher(line).matches(), "not stamped: " + line);
        }
    }

    @Test
    void signalsAreNamedInTheLinesThatReactToThem() throws Exception {
        manager = new LaunchedManager("logs-it-signals", OutcomeChild.class, "--min-servers", "1", "--max-servers", "3",
                "--min-spare-servers", "0", "--max-spare-servers", "3", "--graceful-timeout", "30");
        Set<Long> first = manager.workers();
        manager.signal("HUP");
        Await.until(Duration.ofSeconds(30), "HUP replaced the worker",
                () -> !manager.workers().isEmpty() && manager.workers().stream().noneMatch(first::contains));
        manager.signal("TTIN");
        Await.until(Duration.ofSeconds(30), "TTIN added a worker to the new generation",
                () -> manager.workers().size() == 2 && manager.workers().stream().noneMatch(first::contains));
        manager.signal("USR1");
        Await.until(Duration.ofSeconds(10), "USR1 is logged", () -> manager.count("USR1: log reopened") == 1);
        try (Socket held = Clients.connect(manager.port)) {
            assertEquals("waiting", Clients.send(held, "wait"), "a worker is busy with the held connection");
            manager.signal("TERM");
            Await.until(Duration.ofSeconds(10), "the first TERM starts the graceful stop",
                    () -> manager.count("TERM: shutting down") == 1);
            assertTrue(manager.process.isAlive(), "the graceful stop waits for the held connection");
            manager.signal("TERM");
            assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS), "the second TERM stops the manager");
        }
        assertEquals(0, manager.process.exitValue());
        assertEquals(1, manager.count("HUP: reload: starting generation 2"), manager.log());
        assertEquals(1, manager.count("TTIN: resize: "), manager.log());
        assertEquals(1, manager.lines().stream().filter(l -> l.matches(".* TERM \\(second\\): killing \\d+ workers now .*"))
                .count(), manager.log());
        for (String line : manager.lines()) {
            assertTrue(STAMPED.matcher(line).matches(), "not stamped: " + line);
        }
    }

    @Test
    void accessLogDashGoesToStdout() throws Exception {
        manager = new LaunchedManager("logs-it-stdout", prefork.examples.PidChild.class, "--min-servers", "1",
                "--min-spare-servers", "0", "--access-log", "-");
        long pid = Clients.pidFrom(manager.port);
        String line = manager.nextLine();
        assertTrue(line.matches("^\\S+ pid=" + pid + " listener=tcp://127\\.0\\.0\\.1:" + manager.port
                + " client=127\\.0\\.0\\.1:\\d+ duration_ms=\\d+\\.\\d{3} outcome=served$"), line);
    }

    /**
     * Workers append to the access log file themselves; after logrotate's rename and USR1 every line lands in the
     * new file (the workers follow the name within a second), and none is lost or cut.
     */
    @Test
    void accessLogFollowsARotationOnUsr1() throws Exception {
        Path accessLog = Path.of("target", "logs-it-rotate.access");
        Path rotated = Path.of("target", "logs-it-rotate.access.1");
        Files.deleteIfExists(accessLog);
        Files.deleteIfExists(rotated);
        manager = new LaunchedManager("logs-it-rotate", prefork.examples.PidChild.class, "--min-servers", "2",
                "--max-servers", "2", "--min-spare-servers", "0", "--access-log", accessLog.toString());
        long before = Clients.pidFrom(manager.port);
        Await.until(Duration.ofSeconds(10), "the first line", () -> lines(accessLog).size() == 1);
        assertTrue(lines(accessLog).get(0).contains("pid=" + before + " "), lines(accessLog).toString());
        Files.move(accessLog, rotated);
        manager.signal("USR1");
        Await.until(Duration.ofSeconds(10), "USR1 is logged", () -> manager.count("USR1: log reopened") == 1);
        int[] sent = {1};
        Await.until(Duration.ofSeconds(20), "both workers append to the new file", () -> {
            try {
                Clients.pidFrom(manager.port);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            sent[0]++;
            return lines(accessLog).stream().map(l -> l.replaceAll(".* pid=(\\d+) .*", "$1")).distinct().count() == 2;
        });
        Await.until(Duration.ofSeconds(10), "every line written", () -> lines(accessLog).size()
                + lines(rotated).size() == sent[0]);
        for (Path file : List.of(accessLog, rotated)) {
            for (String line : lines(file)) {
                assertTrue(line.matches("^\\S+ pid=\\d+ listener=tcp://127\\.0\\.0\\.1:" + manager.port
                        + " client=127\\.0\\.0\\.1:\\d+ duration_ms=\\d+\\.\\d{3} outcome=served$"), line);
            }
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}
