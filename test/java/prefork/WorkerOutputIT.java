package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.ForgingChild;

/** Every line a worker writes reaches the log attributed to it: a handler cannot pose as the manager. */
@Timeout(60)
class WorkerOutputIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void handlerOutputIsPrefixedWithItsWorkerLineByLineEvenWhenItLooksLikeTheManagers() throws Exception {
        CountDownLatch exited = new CountDownLatch(1);
        try (PreforkServer server = PreforkServer.builder(ForgingChild.class).port(0).minServers(1).maxServers(1)
                .minSpareServers(0).maxSpareServers(1).maxRequests(1).log(log).hooks(new ManagerHooks() {
                    @Override
                    public void workerExited(PreforkServer s, WorkerInfo worker, ExitCause cause, int status) {
                        exited.countDown();
                    }
                }).start()) {
            long pid = Clients.pidFrom(server.port());
            assertTrue(exited.await(30, TimeUnit.SECONDS), "the worker is recycled: its pipe reaches EOF");
            String prefix = "[worker " + pid + "] ";
            Await.until(Duration.ofSeconds(10), "the last, unterminated line is logged",
                    () -> log.lines.contains(prefix + "a last line without a newline"));
            assertTrue(log.lines.contains(prefix + ForgingChild.FORGED), "stdout, attributed");
            assertTrue(log.lines.contains(prefix + "prefork: listening on tcp 127.0.0.1:1"), "stderr, attributed");
            List<String> posing = log.lines.stream()
                    .filter(line -> line.startsWith(ForgingChild.FORGED) || line.startsWith("prefork: listening")).toList();
            assertEquals(List.of(), posing, "no worker line reaches the log without its prefix");
        }
    }
}
