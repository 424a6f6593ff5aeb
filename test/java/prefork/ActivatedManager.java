package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A manager started the way systemd starts a socket-activated service, by Debian's systemd-socket-activate:
 * it binds the {@code -l} addresses, waits for the first client, then execs {@code java ... prefork.Launcher}
 * in its own process with LISTEN_FDS / LISTEN_PID (and only TERM, PATH, HOME plus the {@code -E} variables).
 * See {@link ManagerProcess} for its log and {@link #close()}.
 */
final class ActivatedManager extends ManagerProcess {
    static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

    /** {@code activatorFlags} go to systemd-socket-activate, {@code launcherFlags} to the launcher (no --port). */
    ActivatedManager(String name, List<String> activatorFlags, Class<? extends BaseChild> handler, String... launcherFlags)
            throws IOException {
        super(name, command(activatorFlags, handler, launcherFlags));
    }

    private static List<String> command(List<String> activatorFlags, Class<? extends BaseChild> handler,
            String... launcherFlags) {
        List<String> command = new ArrayList<>(List.of(ACTIVATE.toString()));
        command.addAll(activatorFlags);
        command.addAll(TestJava.launcher("--handler", handler.getName()));
        command.addAll(List.of(launcherFlags));
        return command;
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

    /** Sends a signal named as kill(1) names it to {@code pids}, all in one kill(1) call. */
    static void signal(String name, Set<Long> pids) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + name));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pids);
    }

    /** The worker's environment variable names (from /proc/PID/environ). */
    static Set<String> environmentNames(long pid) throws IOException {
        String environ = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
        return java.util.Arrays.stream(environ.split("\0")).filter(e -> e.contains("="))
                .map(e -> e.substring(0, e.indexOf('='))).collect(Collectors.toSet());
    }
}
