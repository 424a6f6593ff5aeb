package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;
import prefork.examples.PidChild;
import prefork.testchildren.HangingChild;
import prefork.testchildren.MarkerBootFailChild;

/**
 * Operating the pool: real signals to a manager JVM started through the launcher (HUP, TERM then INT,
 * TTIN/TTOU), and in-process: the hung-worker timeout, the crash-loop backoff, the pid file.
 */
@Timeout(60)
class OperationsIT extends WithLaunchedManager {
    private static final Path TARGET = Path.of("target");
    private final CapturingLog log = new CapturingLog();

    @Test
    void hupUnderLoadReplacesEveryWorkerAndNoConnectionFails() throws Exception {
        manager = new LaunchedManager("operations-it-hup", PidChild.class, "--min-servers", "3",
                "--max-servers", "6", "--min-spare-servers", "0", "--max-spare-servers", "6");
        Set<Long> before = manager.workers();
        assertEquals(3, before.size(), "minServers workers: " + before);
        AtomicBoolean replaced = new AtomicBoolean(), stop = new AtomicBoolean();
        Set<Long> answeredAfter = ConcurrentHashMap.newKeySet();
        AtomicInteger successes = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        ExecutorService load = Executors.newFixedThreadPool(4);
        try {
            for (int t = 0; t < 4; t++) {
                load.submit(() -> {
                    for (int i = 0; i < 20_000 && !stop.get() && System.nanoTime() < until; i++) {
                        boolean afterReplacement = replaced.get();
                        try {
                            long pid = pidOf(manager.port);
                            successes.incrementAndGet();
                            if (afterReplacement) {
                                answeredAfter.add(pid);
                            }
                        } catch (IOException | RuntimeException e) {
                            failures.add(e.toString());
                        }
                    }
                });
            }
            Await.until(Duration.ofSeconds(10), "load is flowing", () -> successes.get() > 100);
            int atHup = successes.get();
            manager.signal("HUP");
            Await.until(Duration.ofSeconds(30), "a new generation has replaced every worker", () -> {
                Set<Long> now = manager.workers();
                return now.size() == 3 && Collections.disjoint(now, before)
                        && before.stream().noneMatch(Processes::alive);
            });
            replaced.set(true);
            int atReplaced = successes.get();
            Await.until(Duration.ofSeconds(10), "load flows on the new generation",
                    () -> successes.get() > atReplaced + 100);
            stop.set(true);
            Set<Long> after = manager.workers();
            assertTrue(after.containsAll(answeredAfter), "only new workers answer: " + answeredAfter + " / " + after);
            assertTrue(atReplaced > atHup, "connections were served during the reload");
        } finally {
            stop.set(true);
            load.shutdown();
            assertTrue(load.awaitTermination(20, TimeUnit.SECONDS));
        }
        System.err.println("HUP under load: " + successes.get() + " served, " + failures.size() + " failed");
        assertEquals(List.of(), failures, "failed connections, of " + successes.get() + " served");
        assertTrue(manager.log().contains("reload: generation 2 is ready; stopping 3 workers of earlier generations"));
        Await.until(Duration.ofSeconds(5), "each old worker's exit is logged as a clean stop", () -> before.stream()
                .allMatch(pid -> manager.log().contains("pid=" + pid + " gen=1 exited (stopped): exit status 0")));
    }

    @Test
    void usr1ReopensTheLogFileAfterARotation() throws Exception {
        Path logFile = TARGET.resolve("operations-it-usr1.log");
        Path rotated = TARGET.resolve("operations-it-usr1.log.1");
        Files.deleteIfExists(logFile);
        Files.deleteIfExists(rotated);
        manager = new LaunchedManager("operations-it-usr1", EchoChild.class, "--min-servers", "1",
                "--max-servers", "3", "--min-spare-servers", "0", "--max-spare-servers", "3",
                "--log-file", logFile.toString());
        Await.until(Duration.ofSeconds(10), "the log file has the start", () -> TestServers.readOrEmpty(logFile).contains("serving tcp://"));
        Files.move(logFile, rotated);
        manager.signal("USR1");
        Await.until(Duration.ofSeconds(10), "a new log file", () -> TestServers.readOrEmpty(logFile).contains("log reopened"));
        manager.signal("TTIN");
        Await.until(Duration.ofSeconds(10), "later events go to the new file", () -> TestServers.readOrEmpty(logFile).contains("resize:"));
        assertFalse(TestServers.readOrEmpty(rotated).contains("resize:"), "nothing more in the rotated file");
        assertTrue(TestServers.readOrEmpty(rotated).contains("spawned"), "the rotated file kept what came before");
    }


    @Test
    void termLetsTheConnectionInFlightFinishThenTheManagerExitsZeroAndRemovesItsPidFile() throws Exception {
        Path pidFile = TARGET.resolve("operations-it-term.pid");
        Files.deleteIfExists(pidFile);
        manager = new LaunchedManager("operations-it-term", EchoChild.class, "--min-servers", "2",
                "--max-servers", "2", "--min-spare-servers", "0", "--max-spare-servers", "2",
                "--graceful-timeout", "10", "--pid-file", pidFile.toString());
        assertEquals(manager.pid() + "\n", Files.readString(pidFile), "the pid file names the manager");
        Process second = new ProcessBuilder(LaunchedManager.command(EchoChild.class, "--pid-file",
                pidFile.toString())).redirectErrorStream(true).start();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), "a second launcher with the same pid file stops");
        String said = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, second.exitValue(), said);
        assertTrue(said.contains("prefork: cannot start: pidFile=\"" + pidFile + "\" names process " + manager.pid()
                + ", which is running"), said);
        Set<Long> workers = manager.workers();
        assertEquals(2, workers.size());
        long termAt;
        try (Socket socket = Clients.connect(manager.port)) {
            assertEquals("before", Clients.send(socket, "before"));
            termAt = System.nanoTime();
            manager.signal("TERM");
            Await.until(Duration.ofSeconds(10), "the idle worker has exited", () -> manager.workers().size() == 1);
            assertTrue(manager.log().contains("shutting down tcp://127.0.0.1:" + manager.port + ": stopping 2 workers (grace PT10S)"));
            assertEquals("during", Clients.send(socket, "during"), "the connection in flight is still served");
            assertTrue(manager.process.isAlive(), "the manager waits for the connection in flight");
        }
        long left = Duration.ofSeconds(10).toNanos() - (System.nanoTime() - termAt);
        assertTrue(manager.process.waitFor(left, TimeUnit.NANOSECONDS), "exits within the graceful timeout");
        assertEquals(0, manager.process.exitValue());
        Await.until(Duration.ofSeconds(5), "no worker is left", () -> workers.stream().noneMatch(Processes::alive));
        String text = manager.log();
        assertTrue(text.contains("exited (stopped): exit status 0 after 1 requests"), text);
        assertFalse(text.contains("killed") || text.contains("deadline reached"), text);
        assertFalse(Files.exists(pidFile), "the pid file is removed");
    }

    @Test
    void aSecondStopSignalDuringTheGracefulStopKillsTheWorkersAtOnce() throws Exception {
        manager = new LaunchedManager("operations-it-term-int", EchoChild.class, "--min-servers", "1",
                "--max-servers", "1", "--min-spare-servers", "0", "--max-spare-servers", "1",
                "--graceful-timeout", "30");
        try (Socket socket = Clients.connect(manager.port)) {
            assertEquals("before", Clients.send(socket, "before"));
            manager.signal("TERM");
            Await.until(Duration.ofSeconds(10), "the graceful stop has begun",
                    () -> manager.log().contains("shutting down"));
            assertEquals("during", Clients.send(socket, "during"), "the first signal lets the connection run");
            long intAt = System.nanoTime();
            manager.signal("INT");
            assertTrue(manager.process.waitFor(10, TimeUnit.SECONDS), "the second signal does not wait 30 s");
            System.err.println("exited " + (System.nanoTime() - intAt) / 1_000_000 + " ms after the second signal");
            assertEquals(0, manager.process.exitValue());
            assertTrue(cutOff(socket), "the connection in flight is cut");
        }
        String text = manager.log();
        assertTrue(text.contains("INT (second): killing 1 workers now"), text);
        assertTrue(text.contains("exited (killed): killed by signal 9 (SIGKILL)"), text);
    }

    @Test
    void ttinThreeTimesThenTtouThreeTimesMovesTheBoundsAndThePool() throws Exception {
        // maxSpareServers 0: every idle worker above minServers is surplus, so the pool is exactly minServers.
        manager = new LaunchedManager("operations-it-ttin-ttou", PidChild.class, "--min-servers", "2",
                "--max-servers", "4", "--min-spare-servers", "0", "--max-spare-servers", "0");
        assertEquals(2, manager.workers().size());
        int[] expected = {3, 4, 5, 4, 3, 2};
        for (int step = 0; step < expected.length; step++) {
            int resizes = step + 1, size = expected[step];
            manager.signal(step < 3 ? "TTIN" : "TTOU");
            Await.until(Duration.ofSeconds(15), "resize " + resizes + " gives " + size + " ready workers", () ->
                    manager.count("resize: ") == resizes && manager.workers().size() == size
                            && manager.count(" ready in ") - manager.count(" exited (") == size);
        }
        List<String> resizes = manager.lines().stream().filter(l -> l.contains("resize: "))
                .map(l -> l.substring(l.indexOf("resize: "))).toList();
        List<String> bounds = new ArrayList<>();
        int[] mins = {2, 3, 4, 5, 4, 3, 2};
        for (int i = 1; i < mins.length; i++) {
            bounds.add("resize: " + bounds(mins[i - 1]) + " -> " + bounds(mins[i]));
        }
        assertEquals(bounds, resizes, "minServers and maxServers move by one per signal");
        assertEquals(5, manager.count(" spawned"), "2 + 3 spawned, no churn");
        assertEquals(3, manager.count("retired (surplus idle worker)"));
        assertTrue(manager.workers().contains(pidOf(manager.port)), "the pool still serves");
    }

    /** Also pins the log's format on purpose: the line an operator greps for when a worker hangs. */
    @Test
    void aHungWorkerIsKilledAfterTheTimeoutLoggedReportedAndReplaced() throws Exception {
        RecordingHooks hooks = new RecordingHooks();
        List<WorkerInfo> timedOut = hooks.timedOut;
        try (PreforkServer server = single(HangingChild.class).timeout(Duration.ofSeconds(2)).hooks(hooks).start()) {
            long hung = server.workers().get(0).pid();
            long connected = System.nanoTime();
            try (Socket socket = Clients.connect(server.port())) {
                socket.getOutputStream().write("hang\n".getBytes(StandardCharsets.US_ASCII));
                Await.until(Duration.ofSeconds(8), "the workerTimedOut hook is called", () -> !timedOut.isEmpty());
                long millis = (System.nanoTime() - connected) / 1_000_000;
                assertTrue(millis >= 2000 && millis < 5000, "killed " + millis + " ms after the request began");
                assertEquals(hung, timedOut.get(0).pid(), "the hook gets the hung worker");
                assertTrue(cutOff(socket), "the hung connection is closed by the kill");
                String line = log.lines.stream().filter(l -> l.contains(" busy for ")).findFirst().orElseThrow();
                Matcher named = Pattern.compile("worker slot=0 pid=" + hung + " gen=1 busy for (\\d+) ms on a "
                        + "connection from port " + socket.getLocalPort() + ": killed \\(timeout PT2S\\)")
                        .matcher(line);
                assertTrue(named.matches() && Long.parseLong(named.group(1)) >= 2000, line);
            }
            RecordingHooks.Exit exit = hooks.awaitExit(hung, Duration.ofSeconds(5));
            assertEquals(ExitCause.TIMED_OUT, exit.cause());
            assertEquals(9, exit.signal(), "killed with SIGKILL");
            long next = Clients.pidFrom(server.port());
            assertNotEquals(hung, next, "a replacement serves the next connection");
            assertEquals(Long.valueOf(1), server.stats().exits().get(ExitCause.TIMED_OUT));
            assertEquals(1, timedOut.size(), "one hook call");
        }
    }

    @Test
    void workersThatFailAtBootAfterTheFirstWasReadyAreRespawnedWithGrowingBackoff() throws Exception {
        Path marker = TARGET.resolve("operations-it-boot-fail-" + ProcessHandle.current().pid());
        Files.deleteIfExists(marker);
        try (PreforkServer server = single(MarkerBootFailChild.class).childProperty("failMarker", marker.toString())
                .start()) {
            long first = server.workers().get(0).pid();
            Files.createFile(marker);
            long killedAt = System.nanoTime();
            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            Await.until(Duration.ofSeconds(20), "5 consecutive boot failures", () -> log.contains(
                    "backoff: 5 consecutive boot failures"));
            long millis = (System.nanoTime() - killedAt) / 1_000_000;
            System.err.println("5 boot failures in " + millis + " ms");
            assertTrue(millis >= 500 + 750 + 1125 + 1687, "spawns wait 0.5 s, then x1.5: " + millis + " ms");
            assertEquals(6, server.stats().spawned(), "the first worker and 5 failed replacements, no more");
            long[] delays = {500, 750, 1125, 1687, 2531};
            for (int i = 0; i < delays.length; i++) {
                String expected = "backoff: " + (i + 1) + " consecutive boot failures";
                String line = log.lines.stream().filter(l -> l.startsWith(expected)).findFirst().orElseThrow();
                assertTrue(line.contains("; next spawn in " + delays[i] + " ms; error: cannot boot "
                        + MarkerBootFailChild.class.getName() + ": java.lang.IllegalStateException: the marker"), line);
            }
            Files.delete(marker);
            Await.until(Duration.ofSeconds(15), "a worker is ready again", () -> log.contains(
                    "backoff: cleared after a worker became ready"));
            assertNotEquals(first, Clients.pidFrom(server.port()), "the replacement serves");
            assertEquals(7, server.stats().spawned(), "spawns over the whole crash loop");
        } finally {
            Files.deleteIfExists(marker);
        }
    }

    @Test
    void thePidFileRefusesASecondServerIsReplacedWhenStaleAndRemovedAtTermination() throws Exception {
        Path pidFile = TARGET.resolve("operations-it-" + ProcessHandle.current().pid() + ".pid");
        Files.deleteIfExists(pidFile);
        String ownPid = ProcessHandle.current().pid() + "\n";
        Process exited = new ProcessBuilder("true").start();
        assertTrue(exited.waitFor(10, TimeUnit.SECONDS));
        Files.writeString(pidFile, exited.pid() + "\n");
        AtomicBoolean bound = new AtomicBoolean();
        ManagerHooks bindWatch = new ManagerHooks() {
            @Override
            public void preBind() {
                bound.set(true);
            }
        };
        try (PreforkServer server = single(PidChild.class).pidFile(pidFile).start()) {
            assertEquals(ownPid, Files.readString(pidFile), "a stale pid file is replaced by the manager's pid");
            IOException refused = assertThrows(IOException.class,
                    () -> single(PidChild.class).pidFile(pidFile).hooks(bindWatch).start());
            assertEquals("pidFile=\"" + pidFile + "\" names process " + ProcessHandle.current().pid()
                    + ", which is running: is another server using it?", refused.getMessage());
            assertFalse(bound.get(), "refused before anything is bound");
            assertEquals(ownPid, Files.readString(pidFile), "the running server's pid file is left alone");
            assertEquals(1, server.workers().size(), "the first server still runs");
        }
        assertFalse(Files.exists(pidFile), "removed when the server terminates");
        Files.writeString(pidFile, "not a pid\n");
        try {
            IOException e = assertThrows(IOException.class, () -> single(PidChild.class).pidFile(pidFile).start());
            assertTrue(e.getMessage().contains("pidFile=\"" + pidFile + "\" exists and does not hold a process id"),
                    e.getMessage());
            assertEquals("not a pid\n", Files.readString(pidFile), "a file that is not a pid file is not overwritten");
        } finally {
            Files.deleteIfExists(pidFile);
        }
    }

    private ServerBuilder single(Class<? extends BaseChild> child) {
        return TestServers.pool(child, log, 1, 1, 1);
    }

    private static String bounds(int minServers) {
        return new PoolBounds(minServers, minServers + 2, 0, 0).toString();
    }

    /** Connects and reads the pid a PidChild sends without waiting for a request. */
    private static long pidOf(int port) throws IOException {
        try (Socket socket = Clients.connect(port)) {
            return Long.parseLong(Clients.readLine(socket).trim());
        }
    }

    /** Whether the peer has closed or reset the connection (reading gives EOF or an error, not data). */
    private static boolean cutOff(Socket socket) {
        try {
            return Clients.readLine(socket) == null;
        } catch (IOException e) {
            return !(e instanceof java.net.SocketTimeoutException);
        }
    }
}
