package prefork.bench;

import java.time.Duration;

/**
 * One load pattern: short TCP connections (connect, one 64-byte line, read the echo, close), persistent TCP
 * connections (64-byte lines back to back on one connection per client), or UDP (64-byte datagrams, each
 * echo awaited). Measured for {@code duration} after a {@code warmup} whose results are discarded.
 */
record Workload(Kind kind, int concurrency, Duration warmup, Duration duration) {
    enum Kind { SHORT, PERSISTENT, UDP }

    /** A short label, e.g. "short c10", "persistent c10", "udp c10". */
    String label() {
        return kind.name().toLowerCase() + " c" + concurrency;
    }

    /** What one operation is, for the rate column. */
    String unit() {
        return kind == Kind.SHORT ? "conn/s" : "req/s";
    }

    boolean udp() {
        return kind == Kind.UDP;
    }
}
