package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.CrashingChild;

/**
 * A handler that ends its worker on every request (System.exit) after the worker is ready: under steady load
 * the spawn rate backs off like boot failures do (0.5 s, x1.5 per crash), instead of one JVM per connection;
 * once the handler is fixed, a worker that stays up 5 s clears the backoff.
 */
@Timeout(120)
class CrashLoopIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void aHandlerCrashingOnEveryRequestMakesSpawningBackOff() throws Exception {
        Path marker = Path.of("target", "crash-loop-it-" + ProcessHandle.current().pid());
        Files.deleteIfExists(marker);
        try (PreforkServer server = PreforkServer.builder(CrashingChild.class).childProperty("marker", marker.toString())
                .port(0).minServers(1).maxServers(1).minSpareServers(0).maxSpareServers(1).log(log).start()) {
            Files.createFile(marker);
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int attempts = 0;
            while (System.nanoTime() - until < 0) {
                attempts++;
                try {
                    Clients.exchange(server.port(), "crash");
                } catch (IOException expected) {
                    // the worker died under this connection
                }
            }
            long spawned = server.stats().spawned();
            System.err.println("crash loop: " + attempts + " connections, " + spawned + " spawns in 10 s");
            assertTrue(spawned <= 10, "spawns back off: " + spawned + " in 10 s");
            assertTrue(log.contains("backoff: 3 consecutive early crashes"), "one line per crash says so");
            assertTrue(log.lines.stream().anyMatch(l -> l.startsWith("backoff: 3 consecutive early crashes")
                    && l.contains("ms after it was ready, 0 requests: exit status 3")), "with what happened");

            Files.delete(marker);
            Await.until(Duration.ofSeconds(60), "a worker that stays up clears the backoff",
                    () -> log.contains("backoff: cleared after a worker became ready and stayed up 5 s"));
            assertTrue(Clients.pidFrom(server.port()) > 0, "the fixed handler serves");
        } finally {
            Files.deleteIfExists(marker);
        }
    }
}
