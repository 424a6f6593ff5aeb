package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;

/**
 * user/group: a manager running as root spawns its workers as {@code nobody} (through setpriv); the workers'
 * real, effective, saved and file-system ids in /proc/PID/status say so, and they serve: their control pipe,
 * scoreboard, reply pipe and access log pipe were handed over to that user.
 */
@Timeout(90)
class PrivilegesIT {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    /** prefork.jar (its manifest names lib/*.jar): a class path nobody can read, unlike ~/.m2 under /root. */
    private static final Path JAR = Path.of("target", "prefork.jar").toAbsolutePath();
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void workersRunAsNobodyWhileTheManagerStaysRoot() throws Exception {
        assumeTrue(POSIX.geteuid() == 0, "switching users needs a manager running as root");
        OtherUsers.assumeNobodyCanReachTheCheckout();
        assertTrue(Files.isRegularFile(JAR), "mvn package made " + JAR);
        int nobody = (int) POSIX.getpwnam("nobody").getUID();
        int nogroup = (int) POSIX.getpwnam("nobody").getGID();
        Path accessLog = Path.of("target", "privileges-it.access");
        Files.deleteIfExists(accessLog);
        try (PreforkServer server = TestServers.pool(PidChild.class, log, 2, 2, 2).user("nobody")
                .classpath(JAR.toString()).classDataSharing(false).accessLog(accessLog.toString()).start()) {
            List<Long> pids = server.workers().stream().map(WorkerInfo::pid).toList();
            assertEquals(2, pids.size());
            for (long pid : pids) {
                Map<String, String> status = status(pid);
                assertEquals(ids(nobody), status.get("Uid"), "worker " + pid + " uids");
                assertEquals(ids(nogroup), status.get("Gid"), "worker " + pid + " gids");
                assertFalse(List.of(status.get("Groups").split("\\s+")).contains("0"), "no root group: " + status);
            }
            assertEquals(ids(0), status(ProcessHandle.current().pid()).get("Uid"), "the manager stays root");
            long answered = Clients.pidFrom(server.port());
            assertTrue(pids.contains(answered), "a nobody worker serves");
            Await.until(Duration.ofSeconds(10), "the nobody worker's access line (through the manager's pipe)",
                    () -> {
                        try {
                            return Files.readString(accessLog).contains("pid=" + answered + " ");
                        } catch (java.io.IOException e) {
                            return false;
                        }
                    });
            server.reload();
            Await.until(Duration.ofSeconds(30), "generation 2 serves",
                    () -> server.workers().stream().allMatch(w -> w.generation() == 2 && w.state() == WorkerState.IDLE)
                            && server.workers().size() == 2);
            for (WorkerInfo worker : server.workers()) {
                assertEquals(ids(nobody), status(worker.pid()).get("Uid"), "a reloaded worker is nobody too");
            }
        }
        assertFalse(log.contains("cannot"), "nothing a worker opens was refused: " + log.lines);
    }

    @Test
    void workersOfAnotherUserMakeAndMapTheirOwnClassDataArchive() throws Exception {
        assumeTrue(POSIX.geteuid() == 0, "switching users needs a manager running as root");
        OtherUsers.assumeNobodyCanReachTheCheckout();
        int nobody = (int) POSIX.getpwnam("nobody").getUID();
        Path cache = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "privileges-cache");
        Files.setPosixFilePermissions(cache, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        try (PreforkServer server = TestServers.pool(PidChild.class, log, 1, 1, 1).user("nobody")
                .classpath(JAR.toString()).cacheDirectory(cache).start()) {
            Await.until(Duration.ofSeconds(30), "the archive is made", () -> log.contains("class data archive created"));
            Path directory = cache.resolve("uid-" + nobody);
            List<Path> archives;
            try (var files = Files.list(directory)) {
                archives = files.toList();
            }
            assertEquals(1, archives.size(), "one archive: " + archives);
            assertEquals(nobody, Files.getAttribute(archives.get(0), "unix:uid"), "nobody's JVM wrote it");
            assertEquals(nobody, Files.getAttribute(directory, "unix:uid"), "in nobody's directory");
            long first = server.workers().get(0).pid();
            ProcessHandle.of(first).orElseThrow().destroyForcibly();
            Await.until(Duration.ofSeconds(30), "a replacement serves", () -> server.workers().size() == 1
                    && server.workers().get(0).pid() != first && server.workers().get(0).state() == WorkerState.IDLE);
            long replacement = server.workers().get(0).pid();
            assertTrue(Files.readString(Path.of("/proc/" + replacement + "/cmdline"))
                    .contains(WorkerArchives.FLAG + archives.get(0)), "the replacement maps it");
            assertEquals(ids(nobody), status(replacement).get("Uid"), "and runs as nobody");
            assertEquals(replacement, Clients.pidFrom(server.port()));
        } finally {
            TestFiles.deleteTree(cache);
        }
        assertFalse(log.contains("skipped") || log.contains("not used"), "no archive step failed: " + log.lines);
    }

    @Test
    void aCacheDirectoryTheWorkersUserCannotReachIsNotUsedAndSaysWhy() throws Exception {
        assumeTrue(POSIX.geteuid() == 0, "switching users needs a manager running as root");
        OtherUsers.assumeNobodyCanReachTheCheckout();
        Path closed = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "privileges-closed");
        Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path cache = closed.resolve("cache");
        try (PreforkServer server = TestServers.pool(PidChild.class, log, 1, 1, 1).user("nobody")
                .classpath(JAR.toString()).cacheDirectory(cache).start()) {
            assertTrue(log.contains("class data archive: not used: the workers' user nobody (uid ")
                    && log.contains("cannot pass through " + closed + " (rwx------)"), "says why: " + log.lines);
            assertEquals(server.workers().get(0).pid(), Clients.pidFrom(server.port()), "and serves without it");
            assertFalse(Files.exists(cache.resolve("uid-" + POSIX.getpwnam("nobody").getUID())),
                    "no directory made for nobody where it cannot reach");
        } finally {
            TestFiles.deleteTree(closed);
        }
    }

    @Test
    void unknownUsersAndGroupsAreRefusedNamingTheOption() {
        InvalidOptionException user = assertThrows(InvalidOptionException.class,
                () -> TestServers.pool(PidChild.class, log, 1, 1, 1).user("no-such-user-here").validate());
        assertEquals(Options.USER, user.option());
        assertTrue(user.getMessage().contains("no-such-user-here") && user.getMessage().contains("not a known user"));
        InvalidOptionException group = assertThrows(InvalidOptionException.class,
                () -> TestServers.pool(PidChild.class, log, 1, 1, 1).user("nobody").group("no-such-group").validate());
        assertEquals(Options.GROUP, group.option());
        if (POSIX.geteuid() == 0) {
            InvalidOptionException root = assertThrows(InvalidOptionException.class,
                    () -> TestServers.pool(PidChild.class, log, 1, 1, 1).user("root").validate());
            assertTrue(root.getMessage().contains("is root"), root.getMessage());
        }
    }

    private static String ids(int id) {
        return id + "\t" + id + "\t" + id + "\t" + id;
    }

    /** /proc/PID/status as name to value ("Uid" to "65534\t65534\t65534\t65534"). */
    private static Map<String, String> status(long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.indexOf(':') > 0)
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).trim(),
                        (a, b) -> a));
    }
}
