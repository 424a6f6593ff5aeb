package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.Await;
import prefork.CapturingLog;
import prefork.Processes;

/**
 * The orphan reaper's rule, on this JVM's own children (as if it were PID 1): it never takes a child the JDK
 * waits for, nor a worker the supervisors know, and it reaps a zombie nobody waits for once it has lingered.
 */
@Timeout(60)
class ReaperTest {
    private final CapturingLog log = new CapturingLog();

    @Test
    void neverStealsProcessBuilderChildrenFromTheJdk() throws Exception {
        Reaper reaper = new Reaper(ProcessHandle.current().pid(), Set::of, log, 0);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger reaped = new AtomicInteger();
        Thread scanner = new Thread(() -> {
            while (!stop.get()) {
                reaped.addAndGet(reaper.scan());
            }
        });
        scanner.start();
        try {
            for (int i = 0; i < 40; i++) {
                Process child = new ProcessBuilder("sh", "-c", "exit 7").start();
                assertEquals(7, child.waitFor(), "the JDK got its child's real exit status");
            }
        } finally {
            stop.set(true);
            scanner.join(10_000);
        }
        assertEquals(0, reaped.get(), log.lines.toString());
        Processes.assertNoChildren();
    }

    @Test
    void reapsAZombieNobodyWaitsForButNotAKnownWorker() {
        long pid = POSIXFactory.getNativePOSIX().posix_spawnp("/bin/true", List.of(), List.of("true"), List.of());
        assertTrue(pid > 0, "spawned natively: the JDK does not wait for it");
        Set<Long> workers = ConcurrentHashMap.newKeySet();
        workers.add(pid);
        Reaper reaper = new Reaper(ProcessHandle.current().pid(), () -> Set.copyOf(workers), log, 0);
        Await.until(Duration.ofSeconds(10), "the child is a zombie", () -> !Processes.alive(pid));
        reaper.scan();
        long firstSeen = System.nanoTime();
        Await.until(Duration.ofSeconds(3), "it lingered", () -> System.nanoTime() - firstSeen > Reaper.LINGER_NANOS);
        assertEquals(0, reaper.scan(), "a worker the supervisors know is theirs to reap");
        workers.clear();
        assertEquals(1, reaper.scan(), "a lingering zombie nobody waits for is reaped");
        assertTrue(log.lines.toString().contains("reaped orphaned process " + pid + ": exit status 0"), log.lines.toString());
        assertTrue(java.nio.file.Files.notExists(java.nio.file.Path.of("/proc/" + pid)), "gone from /proc");
    }
}
