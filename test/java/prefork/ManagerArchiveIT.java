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
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The manager's class data archive through the launcher script (target/prefork, copied with prefork.jar and
 * lib/ into an installation of its own): the first start makes it, the next one maps it (the JVM's class
 * loading log says where prefork.Launcher came from), one made for other jars is rebuilt, one that others
 * may write is not mapped, and a FIFO in its place is neither opened nor kept.
 */
@Timeout(180)
class ManagerArchiveIT {
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private static final String FROM_ARCHIVE = "prefork.Launcher source: shared objects file (top)";
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
    void theFirstStartMakesTheArchiveAndTheNextMapsIt() throws Exception {
        Path dir = fresh("made-then-mapped");
        Path archive = trainedArchive(dir);
        assertTrue(Files.readString(dir.resolve("start-1.classes")).contains("prefork.Launcher source: file:"),
                "the first start loads the launcher from its jar");

        run(dir, "start-2");
        assertTrue(Files.readString(dir.resolve("start-2.classes")).contains(FROM_ARCHIVE), "the second maps " + archive);
        assertEquals(List.of(archive), managerFiles(dir), "one archive, no partial file");
    }

    @Test
    void anArchiveOfOtherJarsIsRebuilt() throws Exception {
        Path dir = fresh("stale");
        Path archive = trainedArchive(dir);
        Object before = Files.readAttributes(archive, "unix:ino").get("ino");
        Path jar;
        try (Stream<Path> lib = Files.list(dir.resolve("install/lib"))) {
            jar = lib.filter(p -> p.toString().endsWith(".jar")).sorted().findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));

        Process manager = start(dir, "start-2");
        Await.until(Duration.ofSeconds(90), "the archive is replaced", () -> replaced(archive, before));
        assertRebuiltThenMapped(manager, dir, "manager class data archive " + archive
                + " cannot be used by this JDK and these jars; rebuilding it");
    }

    @Test
    void anArchiveOthersMayWriteIsNotMappedNorReplaced() throws Exception {
        Path dir = fresh("writable");
        Path archive = trainedArchive(dir);
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-rw-rw-"));
        FileTime made = Files.getLastModifiedTime(archive);

        run(dir, "start-2");
        assertFalse(Files.readString(dir.resolve("start-2.classes")).contains(FROM_ARCHIVE), "not mapped");
        String log = Files.readString(dir.resolve("start-2.log"));
        assertTrue(log.contains("manager class data archive: not used: " + archive + " is writable by others (rw-rw-rw-)"), log);
        assertEquals(made, Files.getLastModifiedTime(archive), "not replaced");
    }

    @Test
    void aFifoInPlaceOfTheArchiveIsNotOpenedAndIsReplacedByARegularArchive() throws Exception {
        Path dir = fresh("fifo");
        Path archive = trainedArchive(dir);
        Files.delete(archive);
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", archive.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");

        // a JVM that opened the FIFO (the script's, or the manager's check) would wait for a writer forever
        Process manager = start(dir, "start-2");
        Await.until(Duration.ofSeconds(90), "a regular archive replaces the FIFO",
                () -> Files.isRegularFile(archive, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertRebuiltThenMapped(manager, dir, "manager class data archive " + archive
                + " is not a regular file; rebuilding it");
    }

    /**
     * Stops {@code manager} ("start-2", whose archive has been rebuilt): it mapped nothing and logged
     * {@code why}; then the next start ("start-3") maps the rebuilt archive.
     */
    private void assertRebuiltThenMapped(Process manager, Path dir, String why) throws Exception {
        stopAndWait(manager);
        assertFalse(Files.readString(dir.resolve("start-2.classes")).contains(FROM_ARCHIVE), "nothing was mapped");
        assertTrue(Files.readString(dir.resolve("start-2.log")).contains(why), Files.readString(dir.resolve("start-2.log")));

        run(dir, "start-3");
        assertTrue(Files.readString(dir.resolve("start-3.classes")).contains(FROM_ARCHIVE), "the rebuilt one is mapped");
    }

    /** Installs the launcher in {@code dir}, starts it once, waits for its archive and stops it; the archive. */
    private Path trainedArchive(Path dir) throws Exception {
        Process manager = start(dir, "start-1");
        Await.until(Duration.ofSeconds(90), "the manager's archive is made", () -> archives(dir).size() == 1);
        stopAndWait(manager);
        assertTrue(Files.readString(dir.resolve("start-1.log")).contains("manager class data archive created in"),
                Files.readString(dir.resolve("start-1.log")));
        return archives(dir).get(0);
    }

    /** A start that is stopped as soon as it serves. */
    private void run(Path dir, String name) throws Exception {
        stopAndWait(start(dir, name));
    }

    /**
     * The installed launcher script with its cache in {@code dir}/cache, its JVM's class loading logged to
     * {@code name}.classes and its errors to {@code name}.log; returns once it prints that it listens.
     */
    private Process start(Path dir, String name) throws IOException {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(dir.resolve("install/prefork").toString(),
                "--handler", "prefork.examples.EchoChild", "--port", "0", "--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0").redirectError(log.toFile());
        builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("PREFORK_JAVA_OPTS", "-Xlog:class+load=info:file=" + dir.resolve(name + ".classes"));
        Process manager = builder.start();
        managers.add(manager);
        String listening = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith(Launcher.LISTENING), listening + "\n" + Files.readString(log));
        return manager;
    }

    private static void stopAndWait(Process manager) throws InterruptedException {
        manager.destroy();
        assertTrue(manager.waitFor(30, TimeUnit.SECONDS), "the manager stops at TERM");
        assertEquals(0, manager.exitValue());
    }

    private static boolean replaced(Path archive, Object inode) {
        try {
            return !inode.equals(Files.readAttributes(archive, "unix:ino").get("ino"));
        } catch (IOException e) {
            return false; // between the old one's removal and the new one's move
        }
    }

    /** The manager's archives in the cache directory (not the partial one a training JVM is writing). */
    private static List<Path> archives(Path dir) {
        return managerFiles(dir).stream().filter(p -> p.toString().endsWith(".jsa")).toList();
    }

    /** The files of the manager's archive in the cache directory, partial ones too. */
    private static List<Path> managerFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir.resolve("cache/prefork"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("manager-")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** {@code dir} emptied, with target/prefork, prefork.jar and lib/ copied into dir/install. */
    private static Path fresh(String name) throws IOException {
        Path dir = TARGET.resolve("manager-archive-it").resolve(name);
        TestFiles.deleteTree(dir);
        Path install = dir.resolve("install");
        Files.createDirectories(install.resolve("lib"));
        Files.createDirectories(dir.resolve("cache"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        for (String file : List.of("prefork", "prefork.jar")) {
            Files.copy(TARGET.resolve(file), install.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        try (Stream<Path> lib = Files.list(TARGET.resolve("lib"))) {
            for (Path jar : lib.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(jar, install.resolve("lib").resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return dir;
    }
}
