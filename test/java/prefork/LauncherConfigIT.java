package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import prefork.examples.PidChild;

/** The launcher's --config file and --check-config, through a real launcher JVM. */
@Timeout(120)
class LauncherConfigIT {
    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    /** Runs the launcher with only {@code args} (no --handler, no --port) and returns its exit status and output. */
    private static String[] run(String... args) throws Exception {
        Process process = new ProcessBuilder(TestJava.launcher(args)).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher exits");
        return new String[] {Integer.toString(process.exitValue()),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)};
    }

    @Test
    void checkConfigAcceptsAGoodFileAndRefusesABadOneNamingTheKeyAndValue(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.properties");
        Files.writeString(good, "handler = " + PidChild.class.getName() + "\nport = 0\nmin-servers = 2\n"
                + "add-listener = udp://127.0.0.1:0, tcp://127.0.0.1:0\nchild-property.color = blue\n");
        String[] ok = run("--config", good.toString(), "--check-config");
        assertEquals("0", ok[0], ok[2]);
        assertEquals("prefork: configuration OK\n", ok[1]);

        Path bad = dir.resolve("bad.properties");
        Files.writeString(bad, "handler = " + PidChild.class.getName() + "\nmax-servers = 0\n");
        String[] refused = run("--config", bad.toString(), "--check-config");
        assertEquals("2", refused[0]);
        assertEquals("prefork: config file " + bad + ": --max-servers=\"0\" is out of range: it must be between 1 "
                + "and 500 (see --help)\n", refused[2]);

        String[] contradicts = run("--config", good.toString(), "--max-servers", "1", "--check-config");
        assertEquals("2", contradicts[0]);
        assertEquals("prefork: --min-servers=2 is greater than --max-servers=1\n", contradicts[2],
                "a flag overrides the file, and the combination is checked");

        String[] unknown = run("--config", dir.resolve("missing.properties").toString(), "--check-config");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("cannot be read"), unknown[2]);
    }

    @Test
    void aConfigFileConfiguresTheServerAndFlagsOverrideIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("prefork.properties");
        Files.writeString(file, "handler = ignored.because.the.flag.wins\nmin-servers = 3\nmax-servers = 3\n"
                + "min-spare-servers = 0\nmax-spare-servers = 3\n");
        try (LaunchedManager manager = new LaunchedManager("launcher-config-it", PidChild.class,
                "--config", file.toString())) {
            assertEquals(3, manager.workers().size(), "min-servers from the file");
            assertTrue(Clients.pidFrom(manager.port) > 0);
        }
        try (LaunchedManager manager = new LaunchedManager("launcher-config-override-it", PidChild.class,
                "--config", file.toString(), "--min-servers", "1")) {
            Await.until(Duration.ofSeconds(10), "one worker", () -> manager.workers().size() == 1);
            assertEquals(1, manager.workers().size(), "the flag wins over the file");
        }
    }
}
