package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.GrowingChild;

/**
 * maxWorkerMemory with real worker JVMs: a worker that grows past the limit during a request is asked to stop,
 * finishes that request, exits with cause memory and is replaced; a worker under the limit is left alone.
 */
@Timeout(90)
class MemoryLimitIT {
    private PreforkServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        Processes.assertNoChildren();
    }

    @Test
    void aWorkerOverTheLimitFinishesItsRequestThenIsReplaced() throws Exception {
        CountDownLatch memoryExit = new CountDownLatch(1);
        List<WorkerInfo> exited = new CopyOnWriteArrayList<>();
        CapturingLog log = new CapturingLog();
        server = PreforkServer.builder(GrowingChild.class).port(0).minServers(2).maxServers(3).minSpareServers(0)
                .maxSpareServers(3).maxWorkerMemory(120L << 20).memoryCheckInterval(Duration.ofMillis(200))
                .log(log).hooks(new ManagerHooks() {
                    @Override
                    public void workerExited(PreforkServer s, WorkerInfo worker, ExitCause cause, int status) {
                        if (cause == ExitCause.MEMORY) {
                            exited.add(worker);
                            memoryExit.countDown();
                        }
                    }
                }).start();
        List<Long> before = server.workers().stream().map(WorkerInfo::pid).toList();
        try (Socket socket = Clients.connect(server.port())) {
            String grown = Clients.send(socket, "grow 160");
            assertTrue(grown.startsWith("grown "), grown);
            long big = Long.parseLong(grown.substring(6));
            long small = before.stream().filter(pid -> pid != big).findFirst().orElseThrow();
            Await.until(Duration.ofSeconds(20), "the manager asks the grown worker to stop, mid-request",
                    () -> server.workers().stream().anyMatch(w -> w.pid() == big && w.state() == WorkerState.STOPPING));
            assertEquals(1, memoryExit.getCount(), "it is not cut off while its request runs");
            assertEquals("done " + big, Clients.send(socket, "finish"), "the request in flight completes");
            assertTrue(memoryExit.await(20, TimeUnit.SECONDS), "the worker exits with cause memory");
            assertEquals(big, exited.get(0).pid());
            Await.until(Duration.ofSeconds(20), "a replacement serves in its place", () -> {
                List<Long> now = server.workers().stream().filter(w -> w.state() == WorkerState.IDLE)
                        .map(WorkerInfo::pid).toList();
                return now.size() == 2 && !now.contains(big);
            });
            assertTrue(server.workers().stream().anyMatch(w -> w.pid() == small), "the small worker was left alone");
        }
        assertEquals(1L, server.stats().exits().get(ExitCause.MEMORY));
        assertTrue(log.contains("over max-worker-memory 120.0 MiB: asked to stop"), String.join("\n", log.lines));
        assertTrue(log.contains("exited (memory)"));
    }
}
