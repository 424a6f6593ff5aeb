package prefork.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ctl client without a server: its command line, its exit statuses, and its bencode codec. */
class CtlUsageTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Ctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void badUsageExitsTwoNamingTheOptionAndValue() {
        assertEquals(2, run("--nrepl-port", "seven", "status"));
        assertTrue(err().contains("--nrepl-port=\"seven\" is not a whole number"), err());
        assertEquals(2, run("--nrepl-port", "70000", "status"));
        assertTrue(err().contains("--nrepl-port=70000 is out of range"), err());
        assertEquals(2, run("--nrepl-port", "7001", "resize", "--min-servers", "-1"));
        assertTrue(err().contains("--min-servers=\"-1\" is out of range"), err());
        assertEquals(2, run("--nrepl-port", "7001", "resize"));
        assertEquals(2, run("--nrepl-port", "7001", "stop", "--later"));
        assertTrue(err().contains("stop does not take --later"), err());
        assertEquals(2, run("--nrepl-port", "7001", "eval"));
        assertEquals(2, run("--nrepl-port", "1", "--nrepl-socket", "/tmp/x", "status"));
        assertEquals(2, run("--timeout", "0", "--nrepl-port", "1", "status"));
        assertEquals(2, run("--nrepl-port", "7001"));
        assertTrue(err().contains("no command given"), err());
        assertEquals(2, run("--config", "/nonexistent/prefork.properties", "status"));
        assertTrue(err().contains("--config=\"/nonexistent/prefork.properties\" cannot be read"), err());
    }

    @Test
    void upgradeTakesAnExistingJarMadeAbsoluteAndWaitsLonger(@TempDir Path dir) throws Exception {
        Path jar = Files.writeString(dir.resolve("new.jar"), "x");
        CtlArguments plain = CtlArguments.parse(new String[] {"--nrepl-port", "7001", "upgrade"});
        assertEquals(Map.of("op", "prefork/upgrade"), plain.request());
        assertEquals(CtlArguments.UPGRADE_WAIT_MILLIS, plain.timeoutMillis());
        CtlArguments withJar = CtlArguments.parse(new String[] {"--nrepl-port", "7001", "--timeout", "5", "upgrade",
                "--jar", jar.toString()});
        assertEquals(jar.toAbsolutePath().toString(), withJar.request().get("jar"));
        assertEquals(5000, withJar.timeoutMillis());
        assertEquals(2, run("--nrepl-port", "7001", "upgrade", "--jar", dir.resolve("missing.jar").toString()));
        assertTrue(err().contains("--jar=\"" + dir.resolve("missing.jar") + "\" is not a file"), err());
        assertEquals(2, run("--nrepl-port", "7001", "upgrade", "--now"));
        assertTrue(err().contains("upgrade takes only --jar PATH, not --now"), err());
    }

    @Test
    void helpExitsZeroAndAServerOutOfReachOne(@TempDir Path dir) {
        assertEquals(0, run("help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("eval --workers"));
        assertEquals(1, run("--nrepl-socket", dir.resolve("nobody.sock").toString(), "status"));
        assertTrue(err().contains("cannot connect to unix:" + dir.resolve("nobody.sock")), err());
    }

    @Test
    void theConfigFileGivesTheConnectionAndFlagsOverrideIt(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("prefork.properties");
        Files.writeString(config, "handler = x.y/z\nnrepl-port = 7001\nnrepl-bind = ::1\n");
        CtlArguments fromFile = CtlArguments.parse(new String[] {"--config", config.toString(), "stats", "--json"});
        assertEquals("::1", fromFile.host());
        assertEquals(7001, fromFile.port());
        assertEquals(Map.of("op", CtlProtocol.STATS, "format", "json"), fromFile.request());
        CtlArguments overridden = CtlArguments.parse(new String[] {"--nrepl-port", "7002", "--config", config.toString(),
            "eval", "--workers", "--worker-timeout", "40", "(+ 1 2)"});
        assertEquals(7002, overridden.port());
        assertEquals("true", overridden.request().get("workers"));
        assertTrue(overridden.timeoutMillis() >= 50_000, "the deadline covers the workers' timeout");
    }

    @Test
    void bencodeRoundTripsAndRefusesHugeStrings() throws IOException {
        Map<String, Object> message = Map.of("op", "prefork/status", "n", 42L, "list", List.of("a", -3L),
                "map", Map.of("k", "v\u00e9"));
        Object decoded = Bencode.read(new ByteArrayInputStream(Bencode.encode(message)));
        assertEquals(message, decoded);
        assertThrows(IOException.class, () -> Bencode.read(new ByteArrayInputStream(
                "999999999:x".getBytes(StandardCharsets.US_ASCII))));
        assertThrows(IOException.class, () -> Bencode.read(new ByteArrayInputStream(
                "d2:op".getBytes(StandardCharsets.US_ASCII))), "a message cut short");
    }
}
