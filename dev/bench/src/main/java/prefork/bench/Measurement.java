package prefork.bench;

import java.util.Map;

/**
 * What one workload measured against one server. Latencies in microseconds; {@code serverCpuMillis} is the
 * CPU (user + system) of the server's process tree during the window; {@code otherCpuPercent} is the CPU
 * used in the window by everything except server and load generator, in percent of all cores (a sign of
 * disturbance by other work on the machine). {@code processes} is the size of the server's process tree at
 * the window's end (manager + workers for prefork) and {@code spawned} the workers it spawned in the window.
 */
record Measurement(Workload workload, String server, long operations, double seconds, long p50Micros,
        long p99Micros, long maxMicros, Map<ErrorKind, Long> errors, Map<ErrorKind, Long> warmupErrors,
        String errorExample, double serverCpuMillis, double clientCpuMillis, double otherCpuPercent,
        int processes, long spawned) {

    double rate() {
        return operations / seconds;
    }

    /** Server CPU per operation in microseconds, or NaN without operations. */
    double cpuMicrosPerOperation() {
        return operations == 0 ? Double.NaN : serverCpuMillis * 1000.0 / operations;
    }

    /** The load generator's CPU in the window, in percent of all cores. */
    double clientCpuPercent() {
        return 100.0 * clientCpuMillis / (seconds * 1000.0 * Runtime.getRuntime().availableProcessors());
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }
}
