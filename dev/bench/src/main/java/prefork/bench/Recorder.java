package prefork.bench;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * One client thread's tally: latencies of operations completed inside the window, and errors by kind, split
 * into warm-up and window. Not thread-safe: one per client thread, merged at the end.
 */
final class Recorder {
    private static final int MAX_SAMPLES = 4_000_000;
    private final Window window;
    private long[] latencies = new long[4096];
    private int size;
    private long completed;
    final Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
    final Map<ErrorKind, Long> warmupErrors = new EnumMap<>(ErrorKind.class);
    String example;

    Recorder(Window window) {
        this.window = window;
    }

    /** Records an operation that started at {@code startNanos} and succeeded now. */
    void success(long startNanos) {
        long now = System.nanoTime();
        if (window.warmingUp(now) || now > window.end()) {
            return;
        }
        completed++;
        if (size == latencies.length && size < MAX_SAMPLES) {
            latencies = Arrays.copyOf(latencies, Math.min(MAX_SAMPLES, size * 2));
        }
        if (size < latencies.length) {
            latencies[size++] = now - startNanos;
        }
    }

    /** Records a failure detected now; keeps the first message as an example. */
    void error(ErrorKind kind, String message) {
        long now = System.nanoTime();
        if (now > window.end()) {
            return;
        }
        (window.warmingUp(now) ? warmupErrors : errors).merge(kind, 1L, Long::sum);
        if (example == null) {
            example = kind.label + ": " + message;
        }
    }

    long completed() {
        return completed;
    }

    long[] latencies() {
        return Arrays.copyOf(latencies, size);
    }
}
