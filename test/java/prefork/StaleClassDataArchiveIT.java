package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The class data archive follows the jars: re-copied jars named by prefork.jar's manifest (target/lib, as
 * {@code mvn install} leaves them) make a new archive, and an archive that workers cannot map is noticed once,
 * rebuilt in the background, and never makes a worker log a CDS warning.
 */
@Timeout(180)
class StaleClassDataArchiveIT {
    private final Path app = Path.of("target", "stale-cds-it").toAbsolutePath();
    private final Path cache = app.resolve("cache");
    private Process manager;

    @AfterEach
    void stop() throws Exception {
        stopManager();
        Processes.assertNoChildren();
        try (Stream<Path> files = Files.walk(app)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void changedManifestJarsMakeANewArchiveAndAnUnusableOneIsRebuiltOnce() throws Exception {
        Files.createDirectories(app.resolve("lib"));
        Files.copy(Path.of("target", "prefork.jar"), app.resolve("prefork.jar"), StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> jars = Files.list(Path.of("target", "lib"))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, app.resolve("lib").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Path first = startAndAwait("stale-cds-it-1", "class data archive created");
        List<Path> archives = archives();
        assertEquals(1, archives.size(), archives.toString());
        stopManager();

        Path manifestJar = app.resolve("lib").resolve("jnr-constants-0.10.4.jar");
        Files.setLastModifiedTime(manifestJar, FileTime.from(Instant.now().plusSeconds(5)));
        Path second = startAndAwait("stale-cds-it-2", "class data archive created");
        List<Path> afterCopy = archives();
        assertEquals(2, afterCopy.size(), "a jar of the manifest's Class-Path changed: a new key " + afterCopy);
        stopManager();

        Path current = afterCopy.stream().filter(p -> !archives.contains(p)).findFirst().orElseThrow();
        Files.write(current, "not an archive".getBytes(StandardCharsets.US_ASCII));
        Path third = startAndAwait("stale-cds-it-3", "class data archive created");
        String log = Files.readString(third);
        assertEquals(1, log.lines().filter(line -> line.contains("cannot be used")).count(), log);
        assertTrue(log.contains("class data archive " + current + " cannot be used"), log);
        assertTrue(Files.size(current) > 10_000, "rebuilt in place");
        for (Path file : List.of(first, second, third)) {
            String text = Files.readString(file);
            assertFalse(text.contains("Unable to use shared archive") || text.contains("[cds"),
                    "no worker logs a CDS warning: " + file + "\n" + text);
        }
    }

    /** Starts the packaged launcher on the copied jars; waits for its listening line and then for {@code line}. */
    private Path startAndAwait(String name, String line) throws IOException {
        Path log = Path.of("target", name + ".log");
        manager = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                app.resolve("prefork.jar").toString(), "--handler", "prefork.examples.PidChild", "--port", "0",
                "--min-servers", "2", "--max-servers", "2", "--min-spare-servers", "0", "--cache-directory",
                cache.toString()).redirectError(log.toFile()).start();
        String listening = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp"), listening + "\n"
                + TestServers.readOrEmpty(log));
        Await.until(Duration.ofSeconds(90), name + " logs " + line, () -> TestServers.readOrEmpty(log).contains(line));
        return log;
    }

    private void stopManager() throws InterruptedException {
        if (manager != null) {
            manager.destroy();
            if (!manager.waitFor(30, TimeUnit.SECONDS)) {
                manager.destroyForcibly();
                manager.waitFor(10, TimeUnit.SECONDS);
            }
            manager = null;
        }
    }

    private List<Path> archives() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.filter(p -> p.toString().endsWith(WorkerArchives.SUFFIX)).sorted().toList();
        }
    }
}
