package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;
import prefork.examples.PidChild;

/** The pool with real worker JVMs on 127.0.0.1: size, growth and shrinking, recycling, replacement. */
@Timeout(120)
class PoolIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void minServersWorkersAreDistinctChildrenAndServe200ConcurrentClients() throws Exception {
        try (PreforkServer server = PreforkServer.builder(EchoChild.class).port(0).minServers(3).log(log).start()) {
            List<WorkerInfo> workers = server.workers();
            Set<Long> pids = new HashSet<>();
            workers.forEach(w -> pids.add(w.pid()));
            assertTrue(workers.size() >= 3, "at least minServers workers: " + workers);
            assertEquals(workers.size(), pids.size(), "distinct pids");
            for (long pid : pids) {
                assertEquals(ProcessHandle.current().pid(),
                        ProcessHandle.of(pid).orElseThrow().parent().orElseThrow().pid(), "parent of " + pid);
            }
            ExecutorService clients = Executors.newFixedThreadPool(200);
            try {
                List<Future<String>> replies = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    String line = "hello " + i;
                    replies.add(clients.submit(() -> Clients.exchange(server.port(), line)));
                }
                for (int i = 0; i < 200; i++) {
                    assertEquals("hello " + i, replies.get(i).get(60, TimeUnit.SECONDS));
                }
            } finally {
                clients.shutdownNow();
            }
            Await.until(Duration.ofSeconds(5), "the scoreboard counts 200 requests (a worker counts a request "
                    + "after closing its connection)", () -> server.stats().served() >= 200);
        }
    }

    @Test
    void growsToMaxServersWhenAllAreBusyAndShrinksBackWhenReleased() throws Exception {
        List<Socket> held = new ArrayList<>();
        RecordingHooks hooks = new RecordingHooks();
        try (PreforkServer server = PreforkServer.builder(EchoChild.class).port(0).log(log).hooks(hooks)
                .minServers(2).maxServers(5).minSpareServers(1).maxSpareServers(2).start()) {
            for (int i = 0; i < 7; i++) {
                held.add(Clients.connect(server.port()));
            }
            Await.until(Duration.ofSeconds(30), "5 workers are busy", () -> server.workers().stream()
                    .filter(w -> w.state() == WorkerState.BUSY).count() == 5);
            assertEquals(5, server.stats().peakWorkers(), "the pool grows to maxServers and no further");
            Clients.closeAll(held);
            Await.until(Duration.ofSeconds(30), "the pool shrinks back to minServers", () -> {
                List<WorkerInfo> workers = server.workers();
                return workers.size() == 2 && workers.stream().allMatch(w -> w.state() == WorkerState.IDLE);
            });
            assertEquals(3, hooks.count(ExitCause.STOPPED), "the 3 surplus workers were retired and exited");
        } finally {
            Clients.closeAll(held);
        }
    }

    @Test
    void maxRequestsRecyclesTheWorker() throws Exception {
        RecordingHooks hooks = new RecordingHooks();
        try (PreforkServer server = PreforkServer.builder(PidChild.class).port(0).log(log).hooks(hooks)
                .minServers(1).maxServers(1).minSpareServers(0).maxSpareServers(1).maxRequests(3).start()) {
            long first = Clients.pidFrom(server.port());
            assertEquals(first, Clients.pidFrom(server.port()));
            assertEquals(first, Clients.pidFrom(server.port()));
            long next = Clients.pidFrom(server.port());
            assertNotEquals(first, next, "a new worker answers after 3 requests");
            RecordingHooks.Exit recycled = hooks.awaitExit(first, Duration.ofSeconds(10));
            assertEquals(ExitCause.RECYCLED, recycled.cause());
            assertEquals(3, recycled.worker().requests());
        }
    }

    @Test
    void aKilledWorkerIsReplacedAndOnlyItsInFlightConnectionFails() throws Exception {
        RecordingHooks hooks = new RecordingHooks();
        try (PreforkServer server = PreforkServer.builder(EchoChild.class).port(0).log(log).hooks(hooks)
                .minServers(3).maxServers(6).start()) {
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger successes = new AtomicInteger();
            ExecutorService load = Executors.newFixedThreadPool(4);
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Set<Long> before = pids(server);
            long victim = before.iterator().next();
            Callable<Void> client = () -> {
                for (int i = 0; i < 5_000 && System.nanoTime() < until && !Thread.interrupted(); i++) {
                    try {
                        if (("x" + i).equals(Clients.exchange(server.port(), "x" + i))) {
                            successes.incrementAndGet();
                        } else {
                            failures.incrementAndGet();
                        }
                    } catch (java.io.IOException e) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            };
            try {
                for (int i = 0; i < 4; i++) {
                    load.submit(client);
                }
                Await.until(Duration.ofSeconds(10), "load is flowing", () -> successes.get() > 50);
                ProcessHandle.of(victim).orElseThrow().destroyForcibly();
                Await.until(Duration.ofSeconds(20), "a replacement worker is ready", () -> {
                    Set<Long> now = pids(server);
                    return !now.contains(victim) && now.size() >= 3
                            && server.workers().stream().allMatch(w -> w.state() != WorkerState.STARTING);
                });
                int atReplacement = successes.get();
                Await.until(Duration.ofSeconds(10), "load keeps flowing", () -> successes.get() > atReplacement + 50);
            } finally {
                load.shutdownNow();
                assertTrue(load.awaitTermination(30, TimeUnit.SECONDS));
            }
            assertTrue(failures.get() <= 1, "failed connections: " + failures.get() + " of " + successes.get());
            RecordingHooks.Exit killed = hooks.awaitExit(victim, Duration.ofSeconds(5));
            assertEquals(ExitCause.CRASHED, killed.cause());
            assertEquals(9, killed.signal(), "the exit names the signal");
        }
    }

    /**
     * While every CPU is busy the pool holds spare workers back, but only while its workers finish requests:
     * clients that keep their connections open get a worker each, or those queued behind them would wait forever.
     */
    @Test
    void longLivedConnectionsGetWorkersWhileEveryCpuIsBusy() throws Exception {
        List<Socket> held = new ArrayList<>();
        AtomicBoolean hogging = new AtomicBoolean(true);
        List<Thread> hogs = new ArrayList<>();
        for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
            Thread hog = new Thread(() -> {
                while (hogging.get()) {
                    Thread.onSpinWait();
                }
            }, "cpu-hog-" + i);
            hog.setDaemon(true);
            hog.start();
            hogs.add(hog);
        }
        // idleTimeout 0: no held connection is closed for being idle, which would free its worker for the next
        try (PreforkServer server = PreforkServer.builder(EchoChild.class).port(0).log(log).idleTimeout(Duration.ZERO)
                .minServers(1).maxServers(4).minSpareServers(1).maxSpareServers(2).start()) {
            assertTrue(prefork.manager.CpuProbe.everyCpuBusy(Duration.ofMillis(500)),
                    "the test's threads keep every CPU busy (the condition under test)");
            for (int i = 0; i < 4; i++) {
                Socket client = Clients.connect(server.port());
                held.add(client);
                client.setSoTimeout(20_000); // a new worker boots in about a second even with the CPUs hogged
                assertEquals("held " + i, Clients.send(client, "held " + i),
                        "client " + i + " is served while the " + i + " before it keep their connections");
            }
            // a worker may take a connection before the supervisor's turn that marks it ready (STARTING until then)
            Await.until(Duration.ofSeconds(10), "4 workers are busy", () -> server.workers().stream()
                    .filter(w -> w.state() == WorkerState.BUSY).count() == 4);
            Clients.closeAll(held); // before the server stops: a graceful stop waits for busy workers
        } finally {
            hogging.set(false);
            for (Thread hog : hogs) {
                hog.join(5_000);
            }
            Clients.closeAll(held);
        }
    }

    private static Set<Long> pids(PreforkServer server) {
        Set<Long> pids = new HashSet<>();
        server.workers().forEach(w -> pids.add(w.pid()));
        return pids;
    }
}
