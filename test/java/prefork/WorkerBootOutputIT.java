package prefork;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * A worker JVM that refuses to run (a class path without prefork, a flag it rejects) dies before prefork's code
 * can report through the scoreboard; start() then fails with the lines that JVM printed, not only its exit
 * status, and leaves nothing running.
 */
@Timeout(120)
class WorkerBootOutputIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private ServerBuilder small() {
        return PreforkServer.builder(EchoChild.class).port(0).log(log).minServers(2).maxServers(2)
                .minSpareServers(0).maxSpareServers(2);
    }

    @Test
    void aClassPathWithoutPreforkFailsStartWithTheJvmsOwnLine() throws IOException {
        Path empty = Files.createTempDirectory("prefork-empty-classpath");
        try {
            IOException e = assertThrows(IOException.class, () -> small().classpath(empty.toString()).start());
            assertTrue(e.getMessage().startsWith("no worker could start: exit status 1; the JVM said: "), e.getMessage());
            assertTrue(e.getMessage().contains("Could not find or load main class prefork.worker.Worker"), e.getMessage());
        } finally {
            Files.delete(empty);
        }
    }

    @Test
    void aWorkerFlagTheJvmRefusesFailsStartWithTheJvmsOwnLine() {
        IOException e = assertThrows(IOException.class, () -> small().workerJvmOptions(List.of("-Xmx1q")).start());
        assertTrue(e.getMessage().startsWith("no worker could start: exit status 1; the JVM said: "), e.getMessage());
        assertTrue(e.getMessage().contains("Invalid maximum heap size: -Xmx1q"), e.getMessage());
    }
}
