package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * deps.edn as a Clojure CLI user gets it, checked with tools.deps from Maven Central (brought by tools.build,
 * resolved by the build into target/tools-deps.classpath) and Debian's Maven repository standing in for Clojars
 * (nREPL): in a copy of the project, test/deps-edn/check.clj resolves the :deps/prep-lib alias, runs the prep
 * function (which compiles java-src), and prints the basis's class path; a server started from exactly that class
 * path answers a connection. Offline: every artifact is in the local Maven repository after the build.
 */
@Timeout(240)
class DepsEdnIT {
    private static final Pattern LISTENING = Pattern.compile("listening on tcp 127\\.0\\.0\\.1:(\\d+)");
    private Path project;
    private Process server;

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) {
            server.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        Processes.assertNoChildren();
        if (project != null) {
            try (Stream<Path> files = Files.walk(project)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aServerStartsFromTheBasisOfDepsEdnAfterThePrepStep() throws Exception {
        Path tools = Path.of("target", "tools-deps.classpath");
        assertTrue(Files.exists(tools), "the build writes " + tools + " (maven-antrun-plugin, pre-integration-test)");
        project = Files.createTempDirectory("prefork-deps-edn");
        Files.copy(Path.of("deps.edn"), project.resolve("deps.edn"));
        for (String tree : List.of("java-src", "clj-src", "dev/build")) {
            copyTree(Path.of(tree), project.resolve(tree));
        }
        Path config = Files.createDirectories(project.resolve("clj-config"));
        // the README's advice for machines without Clojars: Debian's repository in the user's deps.edn
        Files.writeString(config.resolve("deps.edn"), "{:mvn/repos {\"clojars\" {:url \"file:///usr/share/maven-repo\""
                + " :releases {:checksum :ignore}}}}\n");

        Path output = project.resolve("check.out");
        // C1 only: tools.deps and tools.build ship as source and are compiled at every start (as workers, faster so)
        ProcessBuilder check = new ProcessBuilder(TestJava.command("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", Files.readString(tools).trim(), "clojure.main", Path.of("test", "deps-edn", "check.clj").toAbsolutePath().toString()))
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        check.environment().put("CLJ_CONFIG", config.toString());
        Process tool = check.start();
        assertTrue(tool.waitFor(180, TimeUnit.SECONDS), "check.clj ended within 180 s");
        String said = Files.readString(output);
        assertEquals(0, tool.exitValue(), said);
        assertTrue(Files.exists(project.resolve("target/classes/prefork/PreforkServer.class")),
                "the prep step compiled java-src: " + said);
        String classpath = said.lines().filter(l -> l.startsWith("CLASSPATH=")).findFirst()
                .orElseThrow(() -> new AssertionError("no CLASSPATH= line: " + said)).substring("CLASSPATH=".length());
        List<String> entries = Arrays.asList(classpath.split(":"));
        assertTrue(entries.contains(project.resolve("target/classes").toString()), classpath);
        assertTrue(entries.contains(project.resolve("clj-src").toString()), classpath);
        for (String jar : List.of("clojure-1.12.3.jar", "nrepl-1.0.0.jar", "jnr-posix-3.1.20.jar",
                "prometheus-metrics-core-1.10.0.jar")) {
            assertTrue(entries.stream().anyMatch(e -> e.endsWith("/" + jar)), jar + " in " + classpath);
        }

        server = new ProcessBuilder(TestJava.command("-cp", classpath, Launcher.class.getName(), "--handler",
                "prefork.examples.echo/handle", "--port", "0", "--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0")).directory(project.toFile())
                .redirectError(project.resolve("server.err").toFile()).start();
        String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        Matcher listening = LISTENING.matcher(String.valueOf(line));
        assertTrue(listening.find(), "the launcher said " + line + "; " + Files.readString(project.resolve("server.err")));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(listening.group(1))), 5000);
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write("hello from deps.edn\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertEquals("hello from deps.edn", reply);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
