package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import prefork.examples.EchoChild;

/** The operator options' values and refusals: sizes, the memory kind, the sampling interval, the access log. */
class OperatorOptionsTest {
    private static String refusal(Runnable setting) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, setting::run);
        return e.messageFor(Option.Surface.LAUNCHER);
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertEquals(200L << 20, Options.MAX_WORKER_MEMORY.parse("200m"));
        assertEquals(1L << 30, Options.MAX_WORKER_MEMORY.parse("1G"));
        assertEquals(4096L << 10, Options.MAX_WORKER_MEMORY.parse("4096k"));
        assertEquals(5L << 20, Options.MAX_WORKER_MEMORY.convert(5L << 20));
        assertEquals("--max-worker-memory=\"12x\" is not a size like 200m or 1g (k, m, g: KiB, MiB, GiB)",
                refusal(() -> Options.MAX_WORKER_MEMORY.parse("12x")));
        assertEquals("--max-worker-memory=\"512k\" is out of range: it must be between 1m and 1048576g",
                refusal(() -> Options.MAX_WORKER_MEMORY.parse("512k")));
    }

    @Test
    void kindsIntervalsAndFilesAreChecked() {
        assertEquals("--max-worker-memory-kind=\"vsz\" is unknown: use pss or rss",
                refusal(() -> Options.MAX_WORKER_MEMORY_KIND.parse("vsz")));
        assertEquals("--memory-check-interval=0.05 is too short: it must be at least 0.1 seconds",
                refusal(() -> PreforkServer.builder(EchoChild.class).memoryCheckInterval(Duration.ofMillis(50))
                        .validate()));
        assertEquals("--access-log=\"/nonexistent/dir/access.log\" cannot be written",
                refusal(() -> PreforkServer.builder(EchoChild.class).accessLog("/nonexistent/dir/access.log")
                        .validate()));
        assertEquals("--metrics-bind=\"no.such.host.invalid\" is not a known address or host",
                refusal(() -> PreforkServer.builder(EchoChild.class).metricsBind("no.such.host.invalid").validate()));
        assertEquals("--metrics-port=70000 is out of range: it must be between 0 and 65535",
                refusal(() -> PreforkServer.builder(EchoChild.class).metricsPort(70000)));
    }
}
