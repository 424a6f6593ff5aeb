package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar prefork.jar} prints no JVM warning on any start, on the JDK running the tests and on Temurin 25
 * when it is installed (at the system property prefork.jdk25, default /usr/lib/jvm/temurin-25-jdk-amd64): a Java handler with a TCP and a UDP listener (its first start makes the class data
 * archive, its second start's workers map it) and the Clojure handler with the nREPL control plane. Each start
 * serves a real request and stops with TERM; stderr (the manager's log and every worker's output) must have no
 * {@code WARNING:} and no {@code [warning]} line.
 */
@Timeout(300)
class QuietStartIT {
    static final Path JDK25 = Path.of(System.getProperty("prefork.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
    private final List<Process> started = new ArrayList<>();
    private Path dir;

    @AfterEach
    void stopEverything() throws IOException {
        for (Process process : started) {
            process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        Processes.assertNoChildren();
        deleteDirectory();
    }

    private void deleteDirectory() throws IOException {
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
            dir = null;
        }
    }

    /** This JDK, and JDK 25 when it is installed and is not this one. */
    @Test
    void noWarningOnThisJdkNorOnJdk25() throws Exception {
        Path self = Path.of(System.getProperty("java.home")).toRealPath();
        assertQuiet(self);
        if (Files.isExecutable(JDK25.resolve("bin/java")) && !JDK25.toRealPath().equals(self)) {
            assertQuiet(JDK25);
        }
    }

    private void assertQuiet(Path javaHome) throws Exception {
        deleteDirectory();
        dir = Files.createTempDirectory("prefork-quiet-it");
        Path cache = dir.resolve("cache");
        WorkerArchives archives = WorkerArchives.of(javaHome);
        String[] javaHandler = {"--handler", "prefork.examples.EchoChild", "--add-listener", "udp://127.0.0.1:0",
            "--cache-directory", cache.toString()};
        Path first = run(javaHome, "first", javaHandler, manager -> Await.until(Duration.ofSeconds(120),
                "the class data archive is in " + cache, () -> archiveExists(cache, archives.suffix())));
        Path second = run(javaHome, "archived", javaHandler, manager -> assertTrue(manager.toHandle().children()
                .anyMatch(worker -> commandLine(worker).contains(archives.flag())), "workers map the archive"));
        Path clojure = run(javaHome, "clojure", new String[] {"--handler", "prefork.examples.echo/handle",
            "--nrepl-port", "0", "--class-data-sharing", "false"}, manager -> { });
        for (Path log : List.of(first, second, clojure)) {
            List<String> warnings = Files.readAllLines(log).stream()
                    .filter(line -> line.contains("WARNING:") || line.toLowerCase().contains("[warning]")).toList();
            assertEquals(List.of(), warnings, "warnings on " + javaHome + " in " + log);
        }
    }

    /**
     * Starts {@code java -jar target/prefork.jar} on {@code javaHome} with two workers, exchanges a line over TCP
     * (and a datagram when a UDP listener is printed), runs {@code meanwhile}, stops it with TERM and returns its
     * stderr file, after checking that it exited 0.
     */
    private Path run(Path javaHome, String name, String[] flags, Consumer<Process> meanwhile)
            throws Exception {
        Path stderr = dir.resolve(name + ".err");
        List<String> command = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(), "-jar",
                Path.of("target", "prefork.jar").toAbsolutePath().toString(), "--port", "0", "--min-servers", "2",
                "--max-servers", "2", "--min-spare-servers", "0"));
        command.addAll(List.of(flags));
        Process manager = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        started.add(manager);
        BufferedReader out = new BufferedReader(new InputStreamReader(manager.getInputStream(), StandardCharsets.UTF_8));
        String tcp = out.readLine();
        assertTrue(tcp != null && tcp.startsWith("prefork: listening on tcp 127.0.0.1:"), tcp + "\n" + Files.readString(stderr));
        assertEquals(name, Clients.exchange(portOf(tcp), name));
        if (String.join(" ", flags).contains("udp://")) {
            String udp = out.readLine();
            assertTrue(udp != null && udp.startsWith("prefork: listening on udp 127.0.0.1:"), udp);
            assertEquals(name, datagram(portOf(udp), name));
        }
        meanwhile.accept(manager);
        manager.destroy();
        assertTrue(manager.waitFor(60, TimeUnit.SECONDS), "the manager stops on TERM");
        assertEquals(0, manager.exitValue(), Files.readString(stderr));
        return stderr;
    }

    private static int portOf(String listening) {
        return Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
    }

    private static String commandLine(ProcessHandle process) {
        try {
            return Files.readString(Path.of("/proc/" + process.pid() + "/cmdline")).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean archiveExists(Path cache, String suffix) {
        try (Stream<Path> files = Files.list(cache)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith(suffix));
        } catch (IOException e) {
            return false;
        }
    }

    private static String datagram(int port, String text) throws IOException {
        try (DatagramChannel client = DatagramChannel.open()) {
            client.socket().setSoTimeout(10_000);
            client.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), new InetSocketAddress("127.0.0.1", port));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            client.socket().receive(reply);
            return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
        }
    }
}
