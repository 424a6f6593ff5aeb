package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A manager started the way systemd starts a socket-activated service, by Debian's systemd-socket-activate:
 * it binds the {@code -l} addresses, waits for the first client, then execs {@code java ... prefork.Launcher}
 * in its own process with LISTEN_FDS / LISTEN_PID (and only TERM, PATH, HOME plus the {@code -E} variables).
 * Its stderr goes to target/NAME.log; {@link #close()} kills it and waits for every worker it spawned.
 */
final class ActivatedManager implements AutoCloseable {
    static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");
    private static final Pattern SPAWNED = Pattern.compile("pid=(\\d+) gen=\\d+ spawned");
    final Process process;
    private final Path logFile;
    private final BufferedReader out;

    /** {@code activatorFlags} go to systemd-socket-activate, {@code launcherFlags} to the launcher (no --port). */
    ActivatedManager(String name, List<String> activatorFlags, Class<? extends BaseChild> handler, String... launcherFlags)
            throws IOException {
        logFile = Path.of("target", name + ".log");
        List<String> command = new ArrayList<>(List.of(ACTIVATE.toString()));
        command.addAll(activatorFlags);
        command.addAll(TestJava.launcher("--handler", handler.getName()));
        command.addAll(List.of(launcherFlags));
        process = new ProcessBuilder(command).redirectError(logFile.toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** A port that was free a moment ago (systemd-socket-activate needs a number: the tiny race is accepted). */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /** Waits until the activator has bound its sockets (its "Listening on" lines), before the first client. */
    void awaitListening(int sockets) {
        Await.until(Duration.ofSeconds(20), "systemd-socket-activate listens", () -> count("Listening on ") >= sockets);
    }

    /** The launcher's next stdout line, waiting at most 60 s. */
    String nextLine() {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return "error: " + e;
                }
            }).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the launcher printed no line in time; see " + logFile + ":\n" + log(), e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Sends a signal named as kill(1) names it to {@code pids}, all in one kill(1) call. */
    static void signal(String name, Set<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + name));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pids);
    }

    /** The manager's running workers. */
    Set<Long> workers() {
        return process.toHandle().children().map(ProcessHandle::pid).filter(Processes::alive)
                .collect(Collectors.toSet());
    }

    String log() {
        return TestServers.readOrEmpty(logFile);
    }

    long count(String fragment) {
        return log().lines().filter(line -> line.contains(fragment)).count();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the manager exits");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Long> spawned = new ArrayList<>();
        for (Matcher m = SPAWNED.matcher(log()); m.find(); ) {
            spawned.add(Long.parseLong(m.group(1)));
        }
        Await.until(Duration.ofSeconds(10), "every worker the manager spawned has exited: " + spawned,
                () -> spawned.stream().noneMatch(Processes::alive));
    }

    /** The worker's environment variable names (from /proc/PID/environ). */
    static Set<String> environmentNames(long pid) throws IOException {
        String environ = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
        return java.util.Arrays.stream(environ.split("\0")).filter(e -> e.contains("="))
                .map(e -> e.substring(0, e.indexOf('='))).collect(Collectors.toSet());
    }
}
