package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import prefork.testchildren.HangingExitChild;

/**
 * A worker that hangs on its way out after maxRequests (its shutdown() waits, or a JVM shutdown hook does) is
 * killed after gracefulTimeout, and while it hangs it does not hold a slot: with maxServers 1 a replacement
 * serves the next connection.
 */
@Timeout(90)
class StoppingDeadlineIT {
    private final CapturingLog log = new CapturingLog();
    private final Map<Long, ExitCause> exits = new ConcurrentHashMap<>();

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @ParameterizedTest
    @ValueSource(strings = {"shutdown", "exit-hook"})
    void aWorkerHangingOnItsWayOutIsKilledAfterTheGracefulTimeoutAndAReplacementServesMeanwhile(String hang)
            throws Exception {
        PreforkServer server = PreforkServer.builder(HangingExitChild.class).childProperty("hang", hang).port(0)
                .minServers(1).maxServers(1).minSpareServers(0).maxSpareServers(1).maxRequests(1)
                .gracefulTimeout(Duration.ofSeconds(8)).log(log).hooks(new ManagerHooks() {
                    @Override
                    public void workerExited(PreforkServer s, WorkerInfo worker, ExitCause cause, int status) {
                        exits.put(worker.pid(), cause);
                    }
                }).start();
        try {
            long first = Clients.pidFrom(server.port());
            long servedAt = System.nanoTime();
            long second = Clients.pidFrom(server.port());
            long secondAfter = (System.nanoTime() - servedAt) / 1_000_000;
            assertNotEquals(first, second, "a replacement served");
            assertTrue(Processes.alive(first) && !exits.containsKey(first),
                    "the first worker still hangs while its replacement serves (" + secondAfter + " ms)");
            Await.until(Duration.ofSeconds(30), "the hanging worker is reaped", () -> exits.containsKey(first));
            long killedAfter = (System.nanoTime() - servedAt) / 1_000_000;
            assertEquals(ExitCause.KILLED, exits.get(first));
            assertTrue(killedAfter >= 7_000, "killed at the deadline, not before: " + killedAfter + " ms");
            assertTrue(log.contains("pid=" + first + " gen=1 did not stop within PT8S: killed"), "one line says why");
            System.err.println(hang + ": replacement served after " + secondAfter + " ms; hung worker killed after "
                    + killedAfter + " ms");
        } finally {
            server.shutdownNow();
            assertTrue(server.awaitTermination(Duration.ofSeconds(20)));
        }
    }
}
