package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar prefork.jar --classpath DIR --handler ...} finds application code that is not in the jar: a Java
 * child class and a Clojure handler, loaded by the manager and by the workers; a Clojure namespace that cannot be
 * found is refused with exit status 2 and one line, as a missing Java class is; a var missing from a namespace that
 * is there fails the start (exit status 1) when the first worker boots.
 */
@Timeout(120)
class LauncherClasspathIT {
    private OutsideCode code;
    private Process manager;

    @BeforeEach
    void makeCode() throws IOException {
        code = new OutsideCode();
    }

    @AfterEach
    void stop() throws Exception {
        if (manager != null) {
            manager.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            manager.destroyForcibly();
            manager.waitFor(30, TimeUnit.SECONDS);
        }
        Processes.assertNoChildren();
        code.close();
    }

    private Process launch(Path stderr, String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target", "prefork.jar").toAbsolutePath().toString(), "--port", "0",
                "--min-servers", "1", "--max-servers", "1", "--min-spare-servers", "0"));
        command.addAll(List.of(flags));
        manager = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return manager;
    }

    /** Launches with {@code flags}, sends one line, returns the reply; then stops the manager with TERM. */
    private String serveOnce(String name, String... flags) throws Exception {
        Path stderr = Path.of("target", "launcher-classpath-it-" + name + ".log");
        Process process = launch(stderr, flags);
        String listening = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp 127.0.0.1:"),
                listening + "\n" + Files.readString(stderr));
        String reply = Clients.exchange(Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1)), "hi");
        process.destroy();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "TERM stops the manager");
        assertEquals(0, process.exitValue(), Files.readString(stderr));
        return reply;
    }

    @Test
    void aJavaChildFromTheApplicationsClassPath() throws Exception {
        String reply = serveOnce("java", "--classpath", code.directory.toString(), "--handler", OutsideCode.JAVA_CHILD);
        assertTrue(reply.matches("\\d+"), "the outside child answered with its worker's pid: " + reply);
    }

    @Test
    void aClojureHandlerFromTheApplicationsClassPath() throws Exception {
        assertEquals("outside clojure", serveOnce("clojure", "--classpath", code.directory.toString(),
                "--handler", OutsideCode.CLOJURE_HANDLER));
    }

    /**
     * A {@code user.clj} on the class path (a development REPL's helpers) is loaded where Clojure starts the usual
     * way, here by the manager's control plane, and not in Clojure workers, which reach Clojure without
     * {@code RT.init()}. Each JVM that loads it leaves a file named by its pid; the reply carries the worker's.
     */
    @Test
    void aUserCljOnTheClassPathIsLoadedByTheControlPlaneNotByWorkers() throws Exception {
        Path loadedBy = Files.createDirectories(code.directory.resolve("loaded-by"));
        Files.writeString(code.directory.resolve("user.clj"),
                "(ns user)\n(spit (str \"" + loadedBy + "/\" (.pid (java.lang.ProcessHandle/current))) \"\")\n");
        Files.writeString(code.directory.resolve("app/pid.clj"), "(ns app.pid)\n"
                + "(defn handle [{:keys [^java.io.OutputStream out]}]\n"
                + "  (.write out (.getBytes (str (.pid (java.lang.ProcessHandle/current)) \"\\n\"))))\n");
        long worker = Long.parseLong(serveOnce("user-clj", "--classpath", code.directory.toString(),
                "--handler", "app.pid/handle", "--nrepl-port", "0"));
        try (var files = Files.list(loadedBy)) {
            List<String> pids = files.map(file -> file.getFileName().toString()).toList();
            assertEquals(List.of(Long.toString(manager.pid())), pids,
                    "user.clj loaded by the manager (pid " + manager.pid() + ") only, not by worker " + worker);
        }
    }

    @Test
    void withoutItBothAreRefusedWithOneLineAndExitStatus2() throws Exception {
        for (String handler : List.of(OutsideCode.CLOJURE_HANDLER, OutsideCode.JAVA_CHILD)) {
            Path stderr = Path.of("target", "launcher-classpath-it-missing.log");
            Process process = launch(stderr, "--handler", handler);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher exits");
            assertEquals(2, process.exitValue(), Files.readString(stderr));
            List<String> lines = Files.readAllLines(stderr);
            assertEquals(1, lines.size(), "one line: " + lines);
            assertTrue(lines.get(0).startsWith(handler.contains("/")
                    ? "prefork: handler \"app.outside/handle\" cannot be loaded: Could not locate app/outside__init.class"
                    : "prefork: child class \"app.OutsideChild\" was not found on the classpath"), lines.get(0));
        }
    }

    @Test
    void aNamespaceWithoutTheVarFailsTheStartNamingItWhenTheFirstWorkerBoots() throws Exception {
        // the manager does not load Clojure without the control plane: the first worker finds the var missing
        Path stderr = Path.of("target", "launcher-classpath-it-no-var.log");
        Process process = launch(stderr, "--classpath", code.directory.toString(), "--handler", "app.outside/nope");
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher exits");
        assertEquals(1, process.exitValue(), Files.readString(stderr));
        String last = Files.readAllLines(stderr).stream().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("prefork: cannot start: no worker could start:")
                && last.contains("handler app.outside/nope does not name a var"), last);
    }

    @Test
    void checkConfigLoadsTheNamespaceAndRefusesAMissingVarWithExitStatus2() throws Exception {
        Path stderr = Path.of("target", "launcher-classpath-it-check-no-var.log");
        Process process = launch(stderr, "--classpath", code.directory.toString(), "--handler", "app.outside/nope",
                "--check-config");
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher exits");
        assertEquals(2, process.exitValue(), Files.readString(stderr));
        assertEquals(List.of("prefork: handler \"app.outside/nope\" does not name a var"), Files.readAllLines(stderr));
    }

    @Test
    void aMissingEntryIsRefused() throws Exception {
        Path stderr = Path.of("target", "launcher-classpath-it-bad-entry.log");
        Path missing = code.directory.resolve("no-such.jar");
        Process process = launch(stderr, "--classpath", missing.toString(), "--handler", OutsideCode.JAVA_CHILD);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the launcher exits");
        assertEquals(2, process.exitValue());
        assertEquals(List.of("prefork: --classpath=\"" + missing + "\" has no file or directory " + missing + " (see --help)"),
                Files.readAllLines(stderr));
    }
}
