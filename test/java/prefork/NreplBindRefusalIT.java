package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher refuses a non-loopback --nrepl-bind without --nrepl-allow-remote true before anything binds or
 * spawns: exit status 2 and one line in launcher syntax. The listener's port is held by this test, so a
 * launcher that tried to bind first would fail differently (exit 1, "in use").
 */
@Timeout(60)
class NreplBindRefusalIT {
    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void aNonLoopbackNreplBindIsRefusedBeforeAnythingBindsOrSpawns() throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path err = Files.createTempFile("prefork-nrepl-bind", ".err");
            try {
                List<String> command = LaunchedManager.command(prefork.examples.EchoChild.class, "--port",
                        Integer.toString(held.getLocalPort()), "--nrepl-port", "0", "--nrepl-bind", "0.0.0.0");
                command.remove(command.indexOf("--port") + 1);
                command.remove(command.indexOf("--port"));
                Process launcher = new ProcessBuilder(command).redirectError(err.toFile()).start();
                assertTrue(launcher.waitFor(45, TimeUnit.SECONDS), "the launcher exits");
                String out = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                List<String> lines = Files.readAllLines(err);
                assertEquals(2, launcher.exitValue(), lines.toString());
                assertEquals("", out, "nothing listens, so nothing is announced");
                assertEquals(List.of("prefork: --nrepl-bind=\"0.0.0.0\" is not loopback: the control plane runs any"
                        + " code sent to it; add --nrepl-allow-remote=true to allow it"), lines,
                        "one line, and no spawn logged");
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
