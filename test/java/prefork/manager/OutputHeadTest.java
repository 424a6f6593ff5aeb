package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The first bytes of a child's output, read from its start: the child never blocks on a full pipe. */
@Timeout(60)
class OutputHeadTest {
    @Test
    void aChildThatPrintsMoreThanAPipeHoldsIsNotBlockedAndTheFirstBytesAreKept() throws Exception {
        // 4 MiB: 64 times what a pipe holds; without a reader the child would block on its first 64 KiB
        Process child = new ProcessBuilder("sh", "-c", "echo first line; head -c 4194304 /dev/zero").start();
        OutputHead head = OutputHead.of(child, "output-head-test");
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child ran to its end");
        String text = head.text(10_000);
        assertTrue(text.startsWith("first line\n"), text.substring(0, Math.min(40, text.length())));
        assertEquals(OutputHead.KEPT_BYTES, text.length(), "the first bytes kept, the rest dropped");
    }

    @Test
    void aProcessThatKeepsThePipeOpenAfterTheChildExitedDoesNotHoldTheReader() throws Exception {
        // the child starts a grandchild that inherits the pipe and outlives it (a wrapper script's JVM, say)
        Process child = new ProcessBuilder("sh", "-c", "sleep 60 & echo $!").start();
        OutputHead head = OutputHead.of(child, "output-head-test");
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        long grandchild = -1;
        try {
            long before = System.nanoTime();
            String text = head.text(300);
            assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(20), "text() waited at most its limit");
            grandchild = Long.parseLong(text.strip());
            assertTrue(ProcessHandle.of(grandchild).map(ProcessHandle::isAlive).orElse(false),
                    "the grandchild still holds the pipe: the output has not ended");
        } finally {
            ProcessHandle.of(grandchild).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
