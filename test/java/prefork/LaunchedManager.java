package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
 * A manager JVM started through {@link Launcher} with "--port 0", its stderr in target/NAME.log. {@link #close()}
 * kills it if it still runs and waits until every worker it ever spawned (read from its log) is gone: they are
 * the test JVM's grandchildren, which {@link Processes#assertNoChildren()} does not see.
 */
public final class LaunchedManager implements AutoCloseable {
    private static final Pattern SPAWNED = Pattern.compile("pid=(\\d+) gen=\\d+ spawned");
    final Process process;
    final int port;
    private final Path logFile;
    private final BufferedReader out;

    /** Starts the launcher and waits (up to 30 s) for its "prefork: listening on tcp 127.0.0.1:PORT" line. */
    LaunchedManager(String name, Class<? extends BaseChild> handler, String... flags) throws IOException {
        this(name, handler.getName(), flags);
    }

    /** The same with a handler given by name: a class, or a Clojure var "my.ns/handle". */
    LaunchedManager(String name, String handler, String... flags) throws IOException {
        this(name, List.of(), handler, flags);
    }

    /** The same, with {@code prefix} before the java command (sh -c 'umask 000; exec "$@"' sh, setpriv ...). */
    LaunchedManager(String name, List<String> prefix, String handler, String... flags) throws IOException {
        logFile = Path.of("target", name + ".log");
        List<String> command = new ArrayList<>(prefix);
        command.addAll(command(handler, flags));
        process = new ProcessBuilder(command).redirectError(logFile.toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String listening;
        try {
            listening = nextLine();
        } catch (AssertionError e) {
            close();
            throw e;
        }
        if (listening == null || !listening.startsWith("prefork: listening on tcp 127.0.0.1:")) {
            close();
            throw new AssertionError("the launcher said " + listening + "; see " + logFile + ":\n" + log());
        }
        port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
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
            throw new AssertionError("the launcher printed no line in time; see " + logFile, e);
        }
    }

    /** java -cp (this JVM's classpath) prefork.Launcher --handler HANDLER --port 0 FLAGS... */
    static List<String> command(Class<? extends BaseChild> handler, String... flags) {
        return command(handler.getName(), flags);
    }

    static List<String> command(String handler, String... flags) {
        List<String> command = TestJava.launcher("--handler", handler, "--port", "0");
        command.addAll(List.of(flags));
        return command;
    }

    long pid() {
        return process.pid();
    }

    /** Sends a signal named as kill(1) names it ("HUP", "TERM", "TTIN"...). */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    /** The manager's running workers (a zombie is not running). */
    Set<Long> workers() {
        return process.toHandle().children().map(ProcessHandle::pid).filter(Processes::alive)
                .collect(Collectors.toSet());
    }

    /** Everything the manager has logged so far. */
    String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + logFile, e);
        }
    }

    List<String> lines() {
        return log().lines().toList();
    }

    /** How many log lines contain {@code fragment}. */
    long count(String fragment) {
        return lines().stream().filter(line -> line.contains(fragment)).count();
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
}
