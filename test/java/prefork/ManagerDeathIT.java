package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A manager killed with SIGKILL: its workers notice (control pipe EOF) and exit. */
@Timeout(120)
class ManagerDeathIT {
    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void everyWorkerExitsWithinTwoSecondsOfTheManagersSigkill() throws Exception {
        Process manager = new ProcessBuilder(TestJava.launcher(
                "--handler", "prefork.examples.PidChild", "--port", "0", "--min-servers", "3"))
                .redirectError(new File("target/manager-death-it.log"))
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(manager.getInputStream()));
            String listening = out.readLine();
            assertTrue(listening != null && listening.startsWith("prefork: listening on tcp"), "" + listening);
            int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
            List<Long> workers = manager.toHandle().children().map(ProcessHandle::pid).toList();
            assertEquals(3, workers.size(), "three workers: " + workers);
            assertTrue(workers.contains(Clients.pidFrom(port)), "a worker serves");
            manager.destroyForcibly();
            manager.waitFor();
            long killed = System.nanoTime();
            Await.until(Duration.ofSeconds(2), "every worker has exited",
                    () -> workers.stream().noneMatch(Processes::alive));
            System.err.println("workers gone " + (System.nanoTime() - killed) / 1_000_000 + " ms after SIGKILL");
        } finally {
            manager.destroyForcibly();
        }
    }
}
