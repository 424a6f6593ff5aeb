package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clojure and nREPL are optional dependencies: a Java handler runs on a class path without Clojure, spec,
 * core.specs or nREPL (what a Java-only user of the Maven artifact gets). The launcher runs from such a class
 * path, its workers serve, and TERM stops it cleanly.
 */
@Timeout(120)
class JavaOnlyClasspathIT {
    private Process manager;

    @AfterEach
    void stop() throws Exception {
        if (manager != null) {
            manager.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            manager.destroyForcibly();
            manager.waitFor(30, TimeUnit.SECONDS);
        }
        Processes.assertNoChildren();
    }

    @Test
    void aJavaHandlerNeedsNoClojure() throws Exception {
        List<String> all = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        String withoutClojure = all.stream()
                .filter(entry -> !entry.matches(".*/(clojure|spec\\.alpha|core\\.specs\\.alpha|nrepl)-[^/]*\\.jar"))
                .filter(entry -> !entry.contains("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        assertTrue(all.stream().anyMatch(entry -> entry.matches(".*/clojure-[^/]*\\.jar")), "the test JVM has Clojure");
        assertFalse(withoutClojure.contains("clojure-"), withoutClojure);
        Path log = Path.of("target", "java-only-classpath-it.log");
        manager = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", withoutClojure, Launcher.class.getName(), "--handler", "prefork.examples.EchoChild",
                "--port", "0", "--min-servers", "2", "--max-servers", "2", "--min-spare-servers", "0")
                .redirectError(log.toFile()).start();
        String listening = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp 127.0.0.1:"),
                listening + "\n" + Files.readString(log));
        int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
        assertEquals("no clojure here", Clients.exchange(port, "no clojure here"));
        manager.destroy();
        assertTrue(manager.waitFor(60, TimeUnit.SECONDS), "TERM stops the manager");
        assertEquals(0, manager.exitValue(), Files.readString(log));
    }
}
