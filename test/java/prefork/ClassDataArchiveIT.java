package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged launcher (a classpath of jars) makes a class data archive in its cache directory, and workers
 * spawned afterwards run with it, until it is removed. Start-up figures are in BENCHMARKS.md, not asserted here.
 */
@Timeout(120)
class ClassDataArchiveIT {
    private Process manager;

    @AfterEach
    void stop() throws Exception {
        if (manager != null) {
            manager.destroyForcibly();
            manager.waitFor(30, TimeUnit.SECONDS);
        }
        Processes.assertNoChildren();
    }

    /** The replacement's own class loading log shows the child and the worker's boot classes mapped from it. */
    @Test
    void workersSpawnedAfterTheArchiveExistsUseIt() throws Exception {
        Path cache = Files.createTempDirectory("prefork-cds-it");
        Path log = Path.of("target", "class-data-archive-it.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "prefork.jar").toAbsolutePath().toString(),
                "--handler", "prefork.examples.EchoChild", "--port", "0", "--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0",
                "--worker-jvm-opts", "-Xlog:class+load:file=" + cache.resolve("class-load-%p.log"))
                .redirectError(log.toFile());
        builder.environment().put("XDG_CACHE_HOME", cache.toString());
        manager = builder.start();
        String listening = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp"), "" + listening);
        Await.until(Duration.ofSeconds(60), "the archive is created", () -> TestServers.readOrEmpty(log).contains("class data archive created"));
        try (var files = Files.list(cache.resolve("prefork"))) {
            List<Path> archives = files.toList();
            assertEquals(1, archives.size(), archives.toString());
            assertTrue(archives.get(0).getFileName().toString().matches("worker-[0-9a-f]{24}\\" + WorkerArchives.SUFFIX));
        }
        long first = onlyWorker();
        assertTrue(!cmdline(first).contains(WorkerArchives.FLAG), "the first worker started before the archive");
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        Await.until(Duration.ofSeconds(30), "a replacement is ready", () -> TestServers.readOrEmpty(log).contains("gen=1 ready in")
                && TestServers.readOrEmpty(log).lines().filter(line -> line.contains(" ready in ")).count() == 2);
        long replacement = onlyWorker();
        assertTrue(cmdline(replacement).contains(WorkerArchives.FLAG + cache.resolve("prefork")),
                "the replacement maps the archive");
        String classes = Files.readString(cache.resolve("class-load-" + replacement + ".log"));
        for (String bootClass : List.of("prefork.examples.EchoChild", "prefork.worker.Worker",
                "prefork.internal.ControlProtocol$Serve", "prefork.worker.IdleWatch")) {
            assertTrue(classes.contains(bootClass + " source: shared objects file"),
                    bootClass + " comes from the archive, not the jar:\n" + classes.lines()
                            .filter(line -> line.contains(bootClass + " ")).toList());
        }
        // what the worker generates at run time instead of mapping it: its own lambdas' classes (none: its boot
        // path has named classes), and method-handle code (JDK 18+ generated a dozen forms for the JDK's
        // reflective call in FileChannel.map without -Djdk.reflect.useNativeAccessorOnly; 17 makes one or two)
        List<String> spun = classes.lines().filter(line -> line.contains("source: __JVM_LookupDefineClass__")
                || line.matches(".*prefork\\.\\S*\\$\\$Lambda.* source: prefork\\..*")).toList();
        assertTrue(spun.stream().noneMatch(line -> line.contains("$$Lambda")), "no lambda class spun: " + spun);
        assertTrue(spun.size() <= 2, "at most two classes generated at run time: " + spun);

        // pruned meanwhile (by another server sharing the directory): later workers start without it, said once
        try (var files = Files.list(cache.resolve("prefork"))) {
            for (Path archive : files.filter(f -> f.getFileName().toString().startsWith("worker-")).toList()) {
                Files.delete(archive);
            }
        }
        ProcessHandle.of(replacement).orElseThrow().destroyForcibly();
        Await.until(Duration.ofSeconds(30), "a second replacement is ready", () -> TestServers.readOrEmpty(log)
                .lines().filter(line -> line.contains(" ready in ")).count() == 3);
        assertTrue(!cmdline(onlyWorker()).contains(WorkerArchives.FLAG), "no flag for an archive that is gone");
        assertEquals(1, TestServers.readOrEmpty(log).lines().filter(line -> line.contains("is gone")).count(),
                TestServers.readOrEmpty(log));
        manager.destroy();
        assertTrue(manager.waitFor(30, TimeUnit.SECONDS));
        TestFiles.deleteTree(cache);
    }

    private long onlyWorker() {
        List<ProcessHandle> workers = manager.toHandle().children().filter(p -> Processes.alive(p.pid())).toList();
        assertEquals(1, workers.size(), "one worker");
        return workers.get(0).pid();
    }

    private static String cmdline(long pid) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    }

}
