package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;

/**
 * The pid file in a sticky, world-writable directory (like /tmp) that {@code nobody} writes into too (through
 * setpriv: these tests need root, as CI has): planted symbolic links are not followed, and a pid file naming a
 * process that is not a running server of this user does not block the start.
 */
@Timeout(60)
class PidFileSafetyIT {
    private static final Path DIR = Path.of("target", "pid-file-safety-it").toAbsolutePath();
    private static final Path VICTIM = Path.of("target", "pid-file-safety-victim").toAbsolutePath();
    private final CapturingLog log = new CapturingLog();

    @BeforeEach
    void stickyDirectory() throws IOException, InterruptedException {
        OtherUsers.assumeNobodyCanReachTheCheckout();
        if (Files.exists(DIR)) {
            try (Stream<Path> files = Files.list(DIR)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(DIR);
        Files.setPosixFilePermissions(DIR, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(0, new ProcessBuilder("chmod", "+t", DIR.toString()).inheritIO().start().waitFor());
        Files.writeString(VICTIM, "root's secret\n");
        Files.setPosixFilePermissions(VICTIM, PosixFilePermissions.fromString("rw-------"));
    }

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void symbolicLinksAnotherUserPlantedForThePidFileAndItsTemporaryNamesAreNotFollowed() throws Exception {
        Path pidFile = DIR.resolve("server.pid");
        long pid = ProcessHandle.current().pid();
        asNobody("ln -s " + VICTIM + " " + pidFile + " && for i in $(seq " + pid + " " + (pid + 200) + "); do ln -s "
                + VICTIM + " " + pidFile + ".$i.tmp; ln -s " + VICTIM + " " + DIR + "/.server.pid.$i.tmp; done");
        assertTrue(Files.isSymbolicLink(pidFile.resolveSibling("server.pid." + pid + ".tmp")), "planted");
        try (PreforkServer server = start(pidFile)) {
            assertFalse(Files.isSymbolicLink(pidFile), "the planted link was replaced, not followed");
            assertEquals(pid + "\n", Files.readString(pidFile, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(0, (Integer) Files.getAttribute(pidFile, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(pidFile)));
            assertEquals("root's secret\n", Files.readString(VICTIM), "the root-only file is untouched");
        }
        assertFalse(Files.exists(pidFile, LinkOption.NOFOLLOW_LINKS), "removed at the stop");
        assertEquals("root's secret\n", Files.readString(VICTIM));
        try (Stream<Path> files = Files.list(DIR)) {
            assertEquals(402, files.count(), "only nobody's links are left: no temporary file of ours");
        }
    }

    @Test
    void aPidFileNamingAProcessThatIsNotARunningServerOfThisUserDoesNotBlockTheStart() throws Exception {
        Path pidFile = DIR.resolve("other.pid");
        asNobody("echo 1 > " + pidFile);
        assertEquals(65534, (Integer) Files.getAttribute(pidFile, "unix:uid"));
        try (PreforkServer server = start(pidFile)) {
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidFile));
            IOException second = assertThrows(IOException.class, () -> start(pidFile));
            assertTrue(second.getMessage().contains("names process " + ProcessHandle.current().pid()
                    + ", which is running"), "a running server's file still refuses: " + second.getMessage());
            assertEquals(1, server.workers().size(), "the first server is unharmed");
        }
        assertFalse(Files.exists(pidFile));
    }

    private PreforkServer start(Path pidFile) throws IOException {
        return PreforkServer.builder(PidChild.class).port(0).minServers(1).maxServers(1).minSpareServers(0)
                .maxSpareServers(1).pidFile(pidFile).log(log).start();
    }

    private static void asNobody(String script) throws Exception {
        Process shell = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", script)
                .inheritIO().start();
        assertTrue(shell.waitFor(30, TimeUnit.SECONDS) && shell.exitValue() == 0, "nobody's script ran: " + script);
    }
}
