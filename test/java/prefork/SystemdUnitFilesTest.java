package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shipped unit files (dev/systemd) pass systemd-analyze verify and say what the README says they do. */
@Timeout(60)
class SystemdUnitFilesTest {
    private static final Path SERVICE = Path.of("dev/systemd/prefork.service");
    private static final Path SOCKET = Path.of("dev/systemd/prefork.socket");

    @Test
    void theServiceIsNotifyTypeWithReloadAndMixedKillMode() throws IOException {
        String service = Files.readString(SERVICE);
        for (String line : new String[] {"Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "KillMode=mixed",
                "Requires=prefork.socket", "WatchdogSec="}) {
            assertTrue(service.lines().anyMatch(l -> l.startsWith(line)), SERVICE + " has " + line);
        }
        assertTrue(Files.readString(SOCKET).contains("ListenStream="), SOCKET + " listens");
    }

    @Test
    void systemdAnalyzeVerifyFindsNothing() throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assumeTrue(Files.isExecutable(analyze), "systemd-analyze (package systemd) is missing");
        Process verify = new ProcessBuilder(analyze.toString(), "verify", SOCKET.toString(), SERVICE.toString())
                .redirectErrorStream(true).start();
        assertTrue(verify.waitFor(50, TimeUnit.SECONDS), "systemd-analyze verify finishes");
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("", output.strip(), "systemd-analyze verify says");
        assertEquals(0, verify.exitValue());
    }
}
