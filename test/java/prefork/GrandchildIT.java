package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.SpawningChild;

/**
 * What a handler starts (a grandchild of the manager: {@code sleep 1000}) does not outlive its worker: not
 * after a recycle, a SIGKILL of the worker, a graceful stop of the server or a SIGKILL of the manager; one that
 * ignores TERM is killed after gracefulTimeout.
 */
@Timeout(90)
class GrandchildIT {
    private final CapturingLog log = new CapturingLog();
    private final CountDownLatch exited = new CountDownLatch(1);
    private Long grandchild;

    @AfterEach
    void nothingLeft() {
        if (grandchild != null) {
            ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);
        }
        Processes.assertNoChildren();
    }

    @Test
    void aRecycledWorkersGrandchildIsStopped() throws Exception {
        try (PreforkServer server = builder().maxRequests(1).start()) {
            grandchild = Clients.pidFrom(server.port());
            assertTrue(Processes.alive(grandchild), "the handler's sleep runs");
            assertTrue(exited.await(30, TimeUnit.SECONDS), "the worker is recycled after one request");
            Await.until(Duration.ofSeconds(5), "the grandchild is gone", () -> !Processes.alive(grandchild));
            assertTrue(log.contains("left processes running in its process group"), "logged");
        }
    }

    @Test
    void aKilledWorkersGrandchildIsStopped() throws Exception {
        try (PreforkServer server = builder().start()) {
            long worker = server.workers().get(0).pid();
            grandchild = Clients.pidFrom(server.port());
            assertTrue(Processes.alive(grandchild));
            ProcessHandle.of(worker).orElseThrow().destroyForcibly();
            assertTrue(exited.await(30, TimeUnit.SECONDS), "the worker's exit is reaped");
            Await.until(Duration.ofSeconds(5), "the grandchild is gone", () -> !Processes.alive(grandchild));
        }
    }

    @Test
    void aGracefulStopWaitsUntilTheGrandchildIsGone() throws Exception {
        PreforkServer server = builder().start();
        grandchild = Clients.pidFrom(server.port());
        assertTrue(Processes.alive(grandchild));
        server.close();
        assertTrue(server.isTerminated());
        assertFalse(Processes.alive(grandchild), "gone when close() returns");
    }

    @Test
    void aGrandchildThatIgnoresTermIsKilledAfterTheGracefulTimeout() throws Exception {
        try (PreforkServer server = builder().childProperty("ignore-term", "yes").maxRequests(1)
                .gracefulTimeout(Duration.ofSeconds(1)).start()) {
            grandchild = Clients.pidFrom(server.port());
            assertTrue(exited.await(30, TimeUnit.SECONDS));
            long reaped = System.nanoTime();
            Await.until(Duration.ofSeconds(10), "the grandchild is gone", () -> !Processes.alive(grandchild));
            long took = (System.nanoTime() - reaped) / 1_000_000;
            assertTrue(took >= 800, "it survived TERM until the deadline: " + took + " ms");
            assertTrue(log.contains("still ran after gracefulTimeout: KILL sent"));
        }
    }

    @Test
    void aSigkilledManagersWorkersStopTheirGrandchildren() throws Exception {
        try (LaunchedManager manager = new LaunchedManager("grandchild-it-manager-kill", SpawningChild.class,
                "--min-servers", "1", "--max-servers", "1", "--min-spare-servers", "0")) {
            grandchild = Clients.pidFrom(manager.port);
            assertTrue(Processes.alive(grandchild));
            List<Long> workers = List.copyOf(manager.workers());
            assertEquals(1, workers.size());
            manager.process.destroyForcibly();
            assertTrue(manager.process.waitFor(10, TimeUnit.SECONDS));
            Await.until(Duration.ofSeconds(5), "the worker and its grandchild are gone",
                    () -> !Processes.alive(workers.get(0)) && !Processes.alive(grandchild));
        }
    }

    private ServerBuilder builder() {
        return PreforkServer.builder(SpawningChild.class).port(0).minServers(1).maxServers(1).minSpareServers(0)
                .maxSpareServers(1).log(log).hooks(new ManagerHooks() {
                    @Override
                    public void workerExited(PreforkServer server, WorkerInfo worker, ExitCause cause, int status) {
                        exited.countDown();
                    }
                });
    }
}
