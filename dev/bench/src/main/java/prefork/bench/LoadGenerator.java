package prefork.bench;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one workload against one address from this JVM with one platform thread per client, then merges the
 * clients' tallies. {@link CpuMeter} readings are taken at the start and the end of the measured window.
 */
final class LoadGenerator {
    private LoadGenerator() {}

    static Measurement run(Workload workload, String serverName, InetSocketAddress address, CpuMeter cpu)
            throws InterruptedException {
        long start = System.nanoTime() + 50_000_000L;
        Window window = new Window(start + workload.warmup().toNanos(),
                start + workload.warmup().toNanos() + workload.duration().toNanos());
        List<Recorder> recorders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < workload.concurrency(); i++) {
            Recorder recorder = new Recorder(window);
            Runnable client = workload.udp() ? new UdpClient(address, window, i, recorder)
                    : new TcpClient(address, workload.kind() == Workload.Kind.PERSISTENT, window, i, recorder);
            Thread thread = new Thread(client, "bench-client-" + i);
            thread.setDaemon(true);
            recorders.add(recorder);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        sleepUntil(window.start());
        CpuMeter.Reading before = cpu.read();
        sleepUntil(window.end());
        CpuMeter.Reading after = cpu.read();
        long joinDeadline = System.nanoTime() + 3L * TcpClient.TIMEOUT_MILLIS * 1_000_000L;
        for (Thread thread : threads) {
            thread.join(Math.max(1, (joinDeadline - System.nanoTime()) / 1_000_000L));
            if (thread.isAlive()) {
                thread.interrupt();
            }
        }
        return merge(workload, serverName, recorders, window, before, after);
    }

    private static Measurement merge(Workload workload, String serverName, List<Recorder> recorders, Window window,
            CpuMeter.Reading before, CpuMeter.Reading after) {
        long operations = 0;
        Map<ErrorKind, Long> errors = new EnumMap<>(ErrorKind.class);
        Map<ErrorKind, Long> warmupErrors = new EnumMap<>(ErrorKind.class);
        String example = null;
        List<long[]> parts = new ArrayList<>();
        for (Recorder recorder : recorders) {
            operations += recorder.completed();
            recorder.errors.forEach((kind, n) -> errors.merge(kind, n, Long::sum));
            recorder.warmupErrors.forEach((kind, n) -> warmupErrors.merge(kind, n, Long::sum));
            example = example == null ? recorder.example : example;
            parts.add(recorder.latencies());
        }
        long[] all = parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        double seconds = (window.end() - window.start()) / 1e9;
        return new Measurement(workload, serverName, operations, seconds, percentile(all, 0.50) / 1000,
                percentile(all, 0.99) / 1000, all.length == 0 ? 0 : all[all.length - 1] / 1000, errors,
                warmupErrors, example, after.serverMillis() - before.serverMillis(),
                after.clientMillis() - before.clientMillis(), CpuMeter.otherPercent(before, after),
                after.processes(), after.spawned() - before.spawned());
    }

    /** The nearest-rank percentile of sorted values (0 if none). */
    static long percentile(long[] sorted, double fraction) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        for (long left = nanos - System.nanoTime(); left > 0; left = nanos - System.nanoTime()) {
            Thread.sleep(Math.max(1, left / 1_000_000L));
        }
    }
}
