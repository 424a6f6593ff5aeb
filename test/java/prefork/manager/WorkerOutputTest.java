package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.Await;
import prefork.CapturingLog;
import prefork.internal.Native;

/** The output reader on real pipes: it sleeps without a timeout, so a new pipe must wake it; a pipe's end is told. */
@Timeout(30)
class WorkerOutputTest {
    private final CapturingLog log = new CapturingLog();

    private static void write(int fd, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(bytes.length, Native.libc().write(fd, bytes, bytes.length));
    }

    @Test
    void aPipeAddedWhileTheReaderSleepsIsReadAndItsEndIsToldWithItsPid() throws Exception {
        LinkedBlockingQueue<Long> ended = new LinkedBlockingQueue<>();
        try (WorkerOutput output = WorkerOutput.start("output-under-test", log)) {
            output.onPipeEnded(ended::add);
            int[] first = WorkerOutput.newPipe();
            output.add(first[0], 41);
            write(first[1], "first\n");
            Await.until(Duration.ofSeconds(10), "the first line", () -> log.contains("[worker 41] first"));
            // the reader now sleeps in poll(2) on the first pipe alone, with no timeout: only the wake pipe gets it
            // to look at a second one
            int[] second = WorkerOutput.newPipe();
            output.add(second[0], 42);
            write(second[1], "second\n");
            Await.until(Duration.ofSeconds(10), "the second pipe's line", () -> log.contains("[worker 42] second"));
            write(second[1], "unfinished");
            Native.closeQuietly(second[1]);
            assertEquals(42L, ended.poll(10, TimeUnit.SECONDS), "the second pipe's end, with its worker's pid");
            assertTrue(log.contains("[worker 42] unfinished"), "the rest of the ended pipe is logged first");
            assertEquals(java.util.List.of("second", "unfinished"), output.lastLines(42, Duration.ZERO));
            Native.closeQuietly(first[1]);
            assertEquals(41L, ended.poll(10, TimeUnit.SECONDS));
        }
    }
}
