package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * systemd's default stop (KillMode=control-group) sends TERM to the manager and every worker at once: a worker
 * that gets TERM itself stops accepting, finishes its connection and exits 0, so nothing in flight is lost.
 */
@Timeout(90)
class TermSafeWorkersIT extends WithLaunchedManager {
    @Test
    void termToTheManagerAndEveryWorkerAtOnceLetsTheConnectionInFlightComplete() throws Exception {
        manager = new LaunchedManager("term-safe-workers-it", EchoChild.class, "--min-servers", "2",
                "--max-servers", "3", "--min-spare-servers", "0", "--max-spare-servers", "3");
        Await.until(Duration.ofSeconds(30), "two workers run", () -> manager.workers().size() == 2);

        long alone = manager.workers().iterator().next();
        ActivatedManager.signal("TERM", Set.of(alone));
        Await.until(Duration.ofSeconds(20), "a worker TERMed alone exits 0 and is replaced",
                () -> manager.log().contains("pid=" + alone + " gen=1 exited (stopped): exit status 0")
                        && manager.workers().size() == 2 && !manager.workers().contains(alone));

        try (Socket inFlight = Clients.connect(manager.port)) {
            assertEquals("before", Clients.send(inFlight, "before"));
            Set<Long> workers = manager.workers();
            Set<Long> everyone = new HashSet<>(workers);
            everyone.add(manager.pid());
            ActivatedManager.signal("TERM", everyone);
            Await.until(Duration.ofSeconds(20), "the idle worker has stopped (the signals were delivered)",
                    () -> workers.stream().filter(Processes::alive).count() == 1);
            assertEquals("after TERM", Clients.send(inFlight, "after TERM"), "the connection in flight goes on");
            assertEquals("still", Clients.send(inFlight, "still"));
        }
        assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS), "the manager stops once the connection is done");
        assertEquals(0, manager.process.exitValue(), manager.log());
        List<String> exits = manager.lines().stream().filter(line -> line.contains(" exited (")).toList();
        // a worker that exits on its own TERM before the manager's TERM has begun the shutdown may be replaced
        // once; the replacement is stopped too
        assertTrue(exits.size() >= 3, "every worker's exit is logged: " + exits);
        assertTrue(exits.stream().anyMatch(line -> line.contains("after 1 requests")),
                "the worker with the connection in flight finished it: " + exits);
        // each exited 0, or, if the TERM found it still booting (before its own handler was installed), by the
        // JVM's default TERM exit with no request served
        assertTrue(exits.stream().allMatch(line -> line.contains("exited (stopped): exit status 0")
                || line.contains("exited (stopped): exit status 143 after 0 requests")), "each stopped: " + exits);
        assertTrue(exits.stream().noneMatch(line -> line.contains("crashed") || line.contains("killed")), exits.toString());
    }
}
