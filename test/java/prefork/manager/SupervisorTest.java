package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.Await;
import prefork.CapturingLog;
import prefork.ExitCause;
import prefork.RecordingHooks;
import prefork.ServerStats;
import prefork.PoolBounds;
import prefork.PreforkServer;
import prefork.WorkerInfo;
import prefork.WorkerState;
import prefork.examples.EchoChild;
import prefork.internal.Scoreboard;

/** The supervisor loop with a fake launcher: the model's three known bugs, and the crash-loop guard. */
@Timeout(60)
class SupervisorTest {
    private final CapturingLog log = new CapturingLog();
    private final RecordingHooks hooks = new RecordingHooks();
    private Path file;
    private FakeWorkers workers;
    private Supervisor supervisor;
    /** Whether the fake workers of the next start hang in boot (never ready) until the test lets them. */
    private boolean bootsHangFromStart;
    private final java.util.concurrent.atomic.AtomicLong turns = new java.util.concurrent.atomic.AtomicLong();

    private void start(PoolBounds bounds) throws IOException {
        start(bounds, Duration.ofSeconds(60));
    }

    private void start(PoolBounds bounds, Duration startTimeout) throws IOException {
        file = Files.createTempFile("prefork-scoreboard-test", ".shm");
        Files.write(file, new byte[(int) Scoreboard.SIZE]);
        Scoreboard scoreboard = Scoreboard.map(file);
        workers = new FakeWorkers(scoreboard);
        workers.bootHangs = bootsHangFromStart;
        ServerConfig config = PreforkServer.builder(EchoChild.class).log(log).hooks(hooks).minServers(bounds.minServers())
                .maxServers(bounds.maxServers()).minSpareServers(bounds.minSpareServers())
                .maxSpareServers(bounds.maxSpareServers()).startTimeout(startTimeout).validate();
        supervisor = new Supervisor(config, java.util.List.of("tcp://127.0.0.1:0"), scoreboard, workers, new CodeBroadcast(), () -> {}, () -> {}, null);
        workers.exitListener = supervisor::outputEnded;
        supervisor.observe(new PoolEvents() {
            @Override
            public void turn(java.util.function.Supplier<ServerStats> stats) {
                turns.incrementAndGet();
            }
        });
        Thread thread = new Thread(supervisor, "supervisor-under-test");
        thread.setDaemon(true);
        thread.start();
    }

    @AfterEach
    void stop() throws Exception {
        supervisor.submit(() -> supervisor.beginShutdown(Duration.ZERO));
        supervisor.terminated.get(10, TimeUnit.SECONDS);
        Files.deleteIfExists(file);
    }

    private List<WorkerInfo> snapshot() {
        CompletableFuture<List<WorkerInfo>> answer = new CompletableFuture<>();
        supervisor.submit(() -> answer.complete(supervisor.workers()));
        return answer.join();
    }

    private long count(WorkerState state) {
        return snapshot().stream().filter(w -> w.state() == state).count();
    }

    /** Waits until the supervisor has taken {@code more} turns after this call (PoolEvents.turn counts them). */
    private void awaitTurns(int more) {
        long target = turns.get() + more;
        Await.until(Duration.ofSeconds(10), more + " supervisor turns", () -> turns.get() >= target);
    }

    @Test
    void theFirstWorkerBootsAloneAndTheRestOfMinServersFollowOnceItIsReady() throws Exception {
        bootsHangFromStart = true;
        start(new PoolBounds(4, 8, 1, 4));
        awaitTurns(10);
        assertEquals(1, workers.spawns.get(), "until a worker has been ready, one boots at a time");
        workers.bootHangs = false;
        workers.finishBoots();
        Await.until(Duration.ofSeconds(5), "minServers ready", () -> count(WorkerState.IDLE) == 4);
        assertEquals(4, workers.spawns.get(), "then the other three at once, and no more");
    }

    @Test
    void growsWhenEveryWorkerIsBusyUpToMaxServersAndNoFurther() throws Exception {
        start(new PoolBounds(2, 6, 1, 3));
        Await.until(Duration.ofSeconds(5), "minServers ready", () -> count(WorkerState.IDLE) == 2);
        Await.until(Duration.ofSeconds(10), "all 6 busy", () -> {
            workers.occupy(10);
            return count(WorkerState.BUSY) == 6;
        });
        CompletableFuture<ServerStats> stats = new CompletableFuture<>();
        supervisor.submit(() -> stats.complete(supervisor.stats()));
        assertEquals(6, stats.join().peakWorkers(), "grew to maxServers, never beyond (the supervisor's high-water mark)");
        assertTrue(supervisor.ready.isDone());
    }

    @Test
    void shrinksBackGentlyWithoutCrashingWhenTheLoadGoes() throws Exception {
        start(new PoolBounds(2, 6, 1, 2));
        Await.until(Duration.ofSeconds(10), "grown to 6", () -> {
            workers.occupy(10);
            return snapshot().size() == 6 && count(WorkerState.BUSY) == 6;
        });
        workers.releaseAll();
        long released = System.nanoTime();
        Await.until(Duration.ofSeconds(10), "idle surplus retired", () -> snapshot().size() == 2);
        assertTrue(System.nanoTime() - released >= Duration.ofSeconds(3).toNanos(),
                "one retirement per second, not all at once");
        assertEquals(4, hooks.count(ExitCause.STOPPED), "the 4 surplus workers were retired");
    }

    @Test
    void aDeadWorkerIsReplacedAndTheSupervisorCarriesOn() throws Exception {
        start(new PoolBounds(3, 5, 0, 5));
        Await.until(Duration.ofSeconds(5), "3 ready", () -> count(WorkerState.IDLE) == 3);
        long victim = snapshot().get(1).pid();
        workers.kill(victim);
        Await.until(Duration.ofSeconds(5), "replaced", () -> snapshot().size() == 3
                && snapshot().stream().noneMatch(w -> w.pid() == victim));
        RecordingHooks.Exit exit = hooks.awaitExit(victim, Duration.ofSeconds(5));
        assertEquals(ExitCause.CRASHED, exit.cause());
        assertEquals(9, exit.signal());
    }

    @Test
    void aWorkerWhoseOutputPipeOutlivesItIsReapedByTheSweep() throws Exception {
        start(new PoolBounds(2, 4, 0, 4));
        Await.until(Duration.ofSeconds(5), "2 ready", () -> count(WorkerState.IDLE) == 2);
        workers.exitsUntold = true; // as if a grandchild kept the pipe open: the supervisor hears nothing of the exit
        long victim = snapshot().get(0).pid();
        workers.kill(victim);
        RecordingHooks.Exit exit = hooks.awaitExit(victim, Duration.ofSeconds(10));
        assertEquals(ExitCause.CRASHED, exit.cause(), "reaped by the once-a-second waitpid of every worker");
        Await.until(Duration.ofSeconds(5), "replaced", () -> snapshot().size() == 2
                && snapshot().stream().noneMatch(w -> w.pid() == victim));
    }

    @Test
    void aWorkerStuckInBootIsKilledAfterStartTimeoutAndCountsAsABootFailure() throws Exception {
        start(new PoolBounds(1, 1, 0, 1), Duration.ofMillis(500));
        Await.until(Duration.ofSeconds(5), "1 ready", () -> count(WorkerState.IDLE) == 1);
        workers.bootHangs = true;
        workers.kill(snapshot().get(0).pid());
        hooks.awaitCause(ExitCause.BOOT_TIMED_OUT, Duration.ofSeconds(10));
        assertTrue(log.contains("(startTimeout): killed"));
        Await.until(Duration.ofSeconds(10), "backoff", () -> log.contains("backoff: 1 consecutive boot failures"));
        workers.bootHangs = false;
        Await.until(Duration.ofSeconds(30), "recovered", () -> count(WorkerState.IDLE) == 1);
    }

    @Test
    void aBootingWorkerThatAReloadStopsIsStoppedNotABootFailure() throws Exception {
        start(new PoolBounds(2, 2, 0, 2));
        Await.until(Duration.ofSeconds(5), "2 ready", () -> count(WorkerState.IDLE) == 2);
        workers.bootHangs = true;
        workers.kill(snapshot().get(0).pid());
        Await.until(Duration.ofSeconds(5), "a replacement booting", () -> count(WorkerState.STARTING) == 1);
        long booting = snapshot().stream().filter(w -> w.state() == WorkerState.STARTING).findFirst().orElseThrow().pid();
        workers.bootHangs = false;
        supervisor.submit(() -> supervisor.reload(null));
        assertEquals(ExitCause.STOPPED, hooks.awaitExit(booting, Duration.ofSeconds(10)).cause());
        Await.until(Duration.ofSeconds(10), "generation 2 serving", () -> snapshot().size() == 2
                && snapshot().stream().allMatch(w -> w.generation() == 2 && w.state() == WorkerState.IDLE));
        assertFalse(log.lines.stream().anyMatch(l -> l.startsWith("backoff:")), "asked to stop: no boot failure");
    }

    @Test
    void bootFailuresAfterAWorkerWasReadyBackOffInsteadOfRespawningInALoop() throws Exception {
        start(new PoolBounds(2, 2, 0, 2));
        Await.until(Duration.ofSeconds(5), "2 ready", () -> count(WorkerState.IDLE) == 2);
        workers.bootFails = true;
        int before = workers.spawns.get();
        snapshot().forEach(w -> workers.kill(w.pid()));
        long started = System.nanoTime();
        Await.until(Duration.ofSeconds(10), "three backoffs", () -> log.lines.stream()
                .filter(l -> l.startsWith("backoff:")).count() >= 3);
        long spawned = workers.spawns.get() - before;
        long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(spawned <= 6, spawned + " spawns in " + elapsedMillis + " ms");
        assertTrue(log.contains("next spawn in 750 ms"), "x1.5 per consecutive failure");
        workers.bootFails = false;
        Await.until(Duration.ofSeconds(30), "recovered", () -> count(WorkerState.IDLE) == 2);
        assertTrue(log.contains("backoff: cleared"));
    }
}
