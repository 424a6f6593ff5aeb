package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.SlowTrainingChild;

/**
 * The class data cache against another user and against a manager's death, with the packaged launcher (a
 * classpath of jars, so an archive is made): a cache directory others may write, or an archive another user
 * owns, is not used; a training JVM dies with its manager; the partial archives of dead managers are pruned.
 */
@Timeout(180)
class ClassDataArchiveSafetyIT {
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private final List<Process> managers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process manager : managers) {
            manager.destroyForcibly();
            manager.waitFor(30, TimeUnit.SECONDS);
        }
        Processes.assertNoChildren();
    }

    @Test
    void aCacheDirectoryOthersMayWriteIsNotUsed() throws Exception {
        Path cache = freshCache("world-writable");
        Files.createDirectories(cache.resolve("prefork"));
        Files.setPosixFilePermissions(cache.resolve("prefork"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = TARGET.resolve("cds-safety-world-writable.log");
        Process manager = launch(cache, log, "prefork.examples.EchoChild", jars());
        String warning = "class data archive: not used: " + cache.resolve("prefork") + " is writable by others (rwxrwxrwx)";
        assertEquals(1, read(log).lines().filter(line -> line.contains(warning)).count(), read(log));
        long first = onlyWorker(manager);
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        Await.until(Duration.ofSeconds(30), "a replacement is ready",
                () -> read(log).lines().filter(line -> line.contains(" ready in ")).count() == 2);
        assertFalse(cmdline(onlyWorker(manager)).contains(WorkerArchives.FLAG), "no archive is mapped");
        assertTrue(manager.toHandle().children().noneMatch(ClassDataArchiveSafetyIT::isTraining), "no training run");
        try (Stream<Path> files = Files.list(cache.resolve("prefork"))) {
            assertEquals(List.of(), files.toList(), "nothing is written there");
        }
    }

    @Test
    void anArchiveAnotherUserOwnsIsNotMapped() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "giving a file to another user needs root");
        Path cache = freshCache("foreign-archive");
        Path archive = archiveOfAFirstStart(cache, TARGET.resolve("cds-safety-foreign-archive.log"));
        Files.setAttribute(archive, "unix:uid", 65534);

        Path secondLog = TARGET.resolve("cds-safety-foreign-archive-2.log");
        Process second = launch(cache, secondLog, "prefork.examples.EchoChild", jars());
        assertTrue(read(secondLog).contains("class data archive: not used: " + archive
                + " is owned by uid 65534, not by this user (uid 0)"), read(secondLog));
        assertFalse(cmdline(onlyWorker(second)).contains(WorkerArchives.FLAG), "the foreign archive is not mapped");
    }

    @Test
    void aFifoInPlaceOfTheArchiveIsNeitherHandedToWorkersNorOpenedAndTheArchiveIsRebuilt() throws Exception {
        Path cache = freshCache("fifo-archive");
        Path archive = archiveOfAFirstStart(cache, TARGET.resolve("cds-safety-fifo-archive.log"));
        Files.delete(archive);
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", archive.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");

        // a JVM that opened the FIFO would wait for a writer: workers, or the check, would hang
        Path secondLog = TARGET.resolve("cds-safety-fifo-archive-2.log");
        Process second = launch(cache, secondLog, "prefork.examples.EchoChild", jars());
        assertFalse(cmdline(onlyWorker(second)).contains(WorkerArchives.FLAG), "the FIFO is not handed to workers");
        Await.until(Duration.ofSeconds(90), "the archive is rebuilt",
                () -> read(secondLog).contains("class data archive created"));
        assertTrue(Files.isRegularFile(archive, java.nio.file.LinkOption.NOFOLLOW_LINKS), "a regular file again");
        assertTrue(second.isAlive());
    }

    @Test
    void theTrainingJvmDiesWithItsManagerAndPartialArchivesOfDeadManagersArePruned() throws Exception {
        Path cache = freshCache("training-kill");
        Files.createDirectories(cache.resolve("prefork"));
        Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        Path leftover = Files.writeString(cache.resolve("prefork").resolve("worker-0123456789abcdef01234567.jsa."
                + gone.pid() + ".tmp"), "a partial archive");
        Path aotLeftover = Files.writeString(cache.resolve("prefork").resolve("worker-0123456789abcdef01234567.aot."
                + gone.pid() + ".tmp.config"), "a JDK 25 training run's AOT configuration");
        List<String> classpath = jars();
        classpath.add(slowTrainingJar().toString());
        Path log = TARGET.resolve("cds-safety-training-kill.log");
        Process manager = launch(cache, log, SlowTrainingChild.class.getName(), classpath);
        Await.until(Duration.ofSeconds(30), "the training JVM runs",
                () -> manager.toHandle().children().anyMatch(ClassDataArchiveSafetyIT::isTraining));
        ProcessHandle training = manager.toHandle().children().filter(ClassDataArchiveSafetyIT::isTraining)
                .findFirst().orElseThrow();
        assertFalse(Files.exists(leftover), "the dead manager's partial archive is removed");
        assertFalse(Files.exists(aotLeftover), "and its AOT configuration file");
        assertTrue(read(log).contains("class data archive: removed " + leftover + ", left by a training run"), read(log));

        manager.destroyForcibly();
        assertTrue(manager.waitFor(10, TimeUnit.SECONDS));
        long killed = System.nanoTime();
        Await.until(Duration.ofSeconds(10), "the training JVM has exited (its run takes 120 s)",
                () -> !Processes.alive(training.pid()));
        System.err.println("training JVM gone " + (System.nanoTime() - killed) / 1_000_000 + " ms after the manager's SIGKILL");
        try (Stream<Path> files = Files.list(cache.resolve("prefork"))) {
            // JDK 25's AOT training opens its (empty) configuration file at start; the next start prunes it (above)
            assertEquals(List.of(), files.filter(file -> !(file.toString().endsWith(".tmp.config")
                    && file.toFile().length() == 0)).toList(), "no partial archive was written");
        }
    }

    /** Starts the echo server once with {@code cache}, waits for its workers' archive, stops it; the archive. */
    private Path archiveOfAFirstStart(Path cache, Path log) throws Exception {
        Process first = launch(cache, log, "prefork.examples.EchoChild", jars());
        Await.until(Duration.ofSeconds(90), "the archive is created", () -> read(log).contains("class data archive created"));
        first.destroy();
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        try (Stream<Path> files = Files.list(cache.resolve("prefork"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(WorkerArchives.SUFFIX)).findFirst().orElseThrow();
        }
    }

    private Process launch(Path cache, Path log, String handler, List<String> classpath) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, classpath), "prefork.Launcher",
                "--handler", handler, "--port", "0", "--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0").redirectError(log.toFile());
        builder.environment().put("XDG_CACHE_HOME", cache.toString());
        Process manager = builder.start();
        managers.add(manager);
        String listening = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp"), listening + "\n" + read(log));
        return manager;
    }

    /** The packaged launcher's class path: target/prefork.jar and the jars in target/lib. */
    private static List<String> jars() throws IOException {
        List<String> jars = new ArrayList<>(List.of(TARGET.resolve("prefork.jar").toString()));
        try (Stream<Path> lib = Files.list(TARGET.resolve("lib"))) {
            lib.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
        }
        return jars;
    }

    /** A jar holding SlowTrainingChild, made with the JDK's jar tool. */
    private static Path slowTrainingJar() throws Exception {
        Path classes = Path.of(SlowTrainingChild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = TARGET.resolve("slow-training-child.jar");
        Files.deleteIfExists(jar);
        Optional<ToolProvider> tool = ToolProvider.findFirst("jar");
        assertEquals(0, tool.orElseThrow().run(System.out, System.err, "--create", "--file", jar.toString(),
                "-C", classes.toString(), "prefork/testchildren/SlowTrainingChild.class"));
        return jar;
    }

    private static Path freshCache(String name) throws IOException {
        Path cache = TARGET.resolve("cds-safety-it").resolve(name);
        TestFiles.deleteTree(cache);
        return Files.createDirectories(cache);
    }

    private static boolean isTraining(ProcessHandle process) {
        return process.isAlive() && cmdline(process.pid()).contains("prefork.worker.Training");
    }

    private static long onlyWorker(Process manager) {
        List<ProcessHandle> workers = manager.toHandle().children()
                .filter(p -> Processes.alive(p.pid()) && cmdline(p.pid()).contains("prefork.worker.Worker")).toList();
        assertEquals(1, workers.size(), "one worker");
        return workers.get(0).pid();
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
