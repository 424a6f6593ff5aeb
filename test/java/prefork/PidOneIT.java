package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.OrphanChild;

/**
 * The manager as PID 1 of a PID namespace (unshare --pid --fork --mount-proc, as root), as in a container:
 * processes that handlers leave behind are re-parented to it, and it reaps them once they exit.
 */
@Timeout(90)
class PidOneIT {
    private Process unshare;
    private final List<ProcessHandle> namespace = new ArrayList<>();

    @AfterEach
    void noProcessLeft() throws InterruptedException {
        if (unshare != null) {
            unshare.toHandle().descendants().forEach(namespace::add);
            unshare.destroyForcibly(); // --kill-child: the namespace's PID 1 dies, and the kernel kills the rest
            assertTrue(unshare.waitFor(10, TimeUnit.SECONDS), "unshare exits");
            Await.until(Duration.ofSeconds(10), "every process of the namespace is gone",
                    () -> namespace.stream().noneMatch(p -> Processes.alive(p.pid())));
        }
        Processes.assertNoChildren();
    }

    @Test
    void orphansOfWorkersAreReapedByTheManagerAsPidOne() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "unshare --pid needs root");
        Path log = Path.of("target", "pid-one-it.log");
        List<String> command = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child"));
        command.addAll(LaunchedManager.command(OrphanChild.class, "--min-servers", "1", "--max-servers", "2",
                "--min-spare-servers", "0", "--max-spare-servers", "2"));
        unshare = new ProcessBuilder(command).redirectError(log.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(unshare.getInputStream(), StandardCharsets.UTF_8));
        String listening = out.readLine();
        assertTrue(listening != null && listening.startsWith("prefork: listening on tcp 127.0.0.1:"),
                listening + "\n" + TestServers.readOrEmpty(log));
        int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
        assertTrue(TestServers.readOrEmpty(log).contains("running as PID 1: orphaned processes are reaped"));

        List<String> orphans = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            orphans.add(Clients.exchange(port, "orphan"));
        }
        for (String orphan : orphans) {
            String first = Clients.exchange(port, "stat " + orphan);
            assertTrue(first.equals("gone") || first.endsWith(" 1"), "the orphan " + orphan + " is PID 1's: " + first);
            Await.until(Duration.ofSeconds(20), "orphan " + orphan + " is reaped",
                    () -> ask(port, "stat " + orphan).equals("gone"));
            assertTrue(TestServers.readOrEmpty(log).contains("reaped orphaned process " + orphan + ": exit status 0"),
                    TestServers.readOrEmpty(log));
        }
        assertEquals(0, TestServers.readOrEmpty(log).lines().filter(l -> l.contains("crashed")).count());
    }

    private static String ask(int port, String line) {
        try {
            return Clients.exchange(port, line);
        } catch (IOException e) {
            return "error: " + e;
        }
    }
}
