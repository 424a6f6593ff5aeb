package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pid file's rules, without a server: what it refuses, replaces and removes. */
class PidFileTest {
    private static final String OWN = ProcessHandle.current().pid() + "\n";

    @TempDir
    Path dir;

    @Test
    void noPathMeansNoFile() throws IOException {
        PidFile none = PidFile.check(null);
        none.write();
        none.remove();
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void anEmptyFileIsReplacedAndRemovedOnlyWhileItStillHoldsThisPid() throws IOException {
        Path file = Files.createFile(dir.resolve("server.pid"));
        PidFile pidFile = PidFile.check(file);
        pidFile.write();
        assertEquals(OWN, Files.readString(file));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
        Files.writeString(file, "1\n");
        pidFile.remove();
        assertEquals("1\n", Files.readString(file), "a file someone else rewrote is left alone");
    }

    @Test
    void aFileThatIsNotAPidFileOrCannotBeReadIsRefusedNamingTheOption() {
        assertEquals("pidFile=\"" + dir + "\" cannot be read: java.io.IOException: Is a directory",
                assertThrows(IOException.class, () -> PidFile.check(dir)).getMessage());
        Path missingDir = dir.resolve("no/such/dir/server.pid");
        IOException e = assertThrows(IOException.class, () -> PidFile.check(missingDir).write());
        assertTrue(e.getMessage().startsWith("pidFile=\"" + missingDir + "\" cannot be written: "), e.getMessage());
        assertFalse(Files.exists(missingDir));
    }

    @Test
    void aNumberThatCannotBeAPidIsRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("server.pid"), "-1\n");
        assertEquals("pidFile=\"" + file + "\" exists and does not hold a process id: not overwriting it",
                assertThrows(IOException.class, () -> PidFile.check(file)).getMessage());
    }
}
