package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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
 * A manager process a test started, its stderr in target/NAME.log and its stdout read line by line.
 * {@link #close()} kills it if it still runs and waits until every worker it ever spawned (read from its log) is
 * gone: they are the test JVM's grandchildren, which {@link Processes#assertNoChildren()} does not see.
 */
abstract class ManagerProcess implements AutoCloseable {
    private static final Pattern SPAWNED = Pattern.compile("pid=(\\d+) gen=\\d+ spawned");
    final Process process;
    final Path logFile;
    private final BufferedReader out;

    /** Starts {@code command} with stderr to target/{@code name}.log. */
    ManagerProcess(String name, List<String> command) throws IOException {
        logFile = Path.of("target", name + ".log");
        process = new ProcessBuilder(command).redirectError(logFile.toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The manager's next stdout line (null at its end), waiting at most 60 s; AssertionError after that. */
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

    /** The manager's running workers (a zombie is not running). */
    Set<Long> workers() {
        return process.toHandle().children().map(ProcessHandle::pid).filter(Processes::alive)
                .collect(Collectors.toSet());
    }

    /** Everything the manager has logged so far ("" before its log exists). */
    String log() {
        return TestServers.readOrEmpty(logFile);
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
