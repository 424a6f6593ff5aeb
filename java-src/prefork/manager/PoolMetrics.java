package prefork.manager;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import prefork.ExitCause;
import prefork.PoolBounds;
import prefork.PreforkServer;
import prefork.ServerStats;
import prefork.WorkerInfo;
import prefork.WorkerState;

/**
 * The server's Prometheus metrics, built at each scrape from one snapshot (workers with their /proc facts,
 * counters, bounds, the kernel's accept queues), so the figures of one scrape agree with each other. The
 * counters come from the manager's own books: they never go back when a worker is recycled. Exposition is
 * the Prometheus Java client's.
 */
final class PoolMetrics implements MultiCollector {
    private final PreforkServer server;
    private final List<ListenerPool> pools;

    PoolMetrics(PreforkServer server, List<ListenerPool> pools) {
        this.server = server;
        this.pools = pools;
    }

    @Override
    public MetricSnapshots collect() {
        List<WorkerInfo> workers = server.workers();
        ServerStats stats = server.stats();
        PoolBounds bounds = server.bounds();
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        Map<WorkerState, Integer> byState = new EnumMap<>(WorkerState.class);
        workers.forEach(w -> byState.merge(w.state(), 1, Integer::sum));
        GaugeSnapshot.Builder states = gauge("prefork_workers", "Live workers by state.");
        for (WorkerState state : WorkerState.values()) {
            states.dataPoint(point(byState.getOrDefault(state, 0), "state", state.name().toLowerCase(Locale.ROOT)));
        }
        out.metricSnapshot(states.build());
        out.metricSnapshot(counter("prefork_requests", "Requests (connections or datagrams) handled, by every "
                + "worker ever; kept by the manager, so recycling never lowers it.", stats.served()).build());
        CounterSnapshot.Builder exits = CounterSnapshot.builder().name("prefork_worker_exits")
                .help("Workers that exited, by cause.");
        for (ExitCause cause : ExitCause.values()) {
            exits.dataPoint(CounterDataPointSnapshot.builder().value(stats.exits().getOrDefault(cause, 0L))
                    .labels(Labels.of("cause", cause.text())).build());
        }
        out.metricSnapshot(exits.build());
        out.metricSnapshot(counter("prefork_workers_spawned", "Workers started.", stats.spawned()).build());
        out.metricSnapshot(counter("prefork_reloads", "Graceful reloads (HUP, reload).", stats.generation() - 1).build());
        out.metricSnapshot(single("prefork_generation", "The current worker generation (1 + reloads).", stats.generation()));
        out.metricSnapshot(single("prefork_peak_workers", "The most workers of one generation at once.", stats.peakWorkers()));
        out.metricSnapshot(single("prefork_pool_min_servers", "The minServers bound in force.", bounds.minServers()));
        out.metricSnapshot(single("prefork_pool_max_servers", "The maxServers bound in force.", bounds.maxServers()));
        out.metricSnapshot(single("prefork_pool_min_spare_servers", "The minSpareServers bound.", bounds.minSpareServers()));
        out.metricSnapshot(single("prefork_pool_max_spare_servers", "The maxSpareServers bound.", bounds.maxSpareServers()));
        out.metricSnapshot(single("prefork_ready", "1 when /readyz answers 200.", server.isReady() ? 1 : 0));
        perWorker(workers, out);
        acceptQueues(out);
        return out.build();
    }

    private static void perWorker(List<WorkerInfo> workers, MetricSnapshots.Builder out) {
        GaugeSnapshot.Builder memory = gauge("prefork_worker_memory_bytes",
                "A worker's memory from /proc/PID/smaps_rollup: kind rss, or pss (shared pages divided).");
        GaugeSnapshot.Builder busy = gauge("prefork_worker_busy_seconds",
                "How long a worker has been on its current request; 0 when it is not busy.");
        GaugeSnapshot.Builder requests = gauge("prefork_worker_requests",
                "Requests handled by the worker now in the slot (restarts at 0 with each new worker).");
        GaugeSnapshot.Builder pids = gauge("prefork_worker_pid", "The process id of the worker in the slot.");
        CounterSnapshot.Builder cpu = CounterSnapshot.builder().name("prefork_worker_cpu_seconds")
                .help("User plus system CPU time of the worker now in the slot (resets with each new worker).");
        for (WorkerInfo w : workers) {
            String[] slot = {"listener", w.listener(), "slot", Integer.toString(w.slot())};
            if (w.rssBytes() >= 0) {
                memory.dataPoint(point(w.rssBytes(), slot[0], slot[1], slot[2], slot[3], "kind", "rss"));
            }
            if (w.pssBytes() >= 0) {
                memory.dataPoint(point(w.pssBytes(), slot[0], slot[1], slot[2], slot[3], "kind", "pss"));
            }
            busy.dataPoint(point(w.busyFor() == null ? 0 : w.busyFor().toNanos() / 1e9, slot));
            requests.dataPoint(point(w.requests(), slot));
            pids.dataPoint(point(w.pid(), slot));
            if (w.cpuTime() != null) {
                cpu.dataPoint(CounterDataPointSnapshot.builder().value(w.cpuTime().toNanos() / 1e9)
                        .labels(Labels.of(slot)).build());
            }
        }
        out.metricSnapshot(memory.build()).metricSnapshot(busy.build()).metricSnapshot(requests.build())
                .metricSnapshot(pids.build()).metricSnapshot(cpu.build());
    }

    private void acceptQueues(MetricSnapshots.Builder out) {
        GaugeSnapshot.Builder length = gauge("prefork_listen_queue_length",
                "Connections the kernel has accepted that no worker has taken yet (TCP listeners).");
        GaugeSnapshot.Builder limit = gauge("prefork_listen_queue_limit", "The accept queue's limit (the backlog).");
        for (ListenerPool pool : pools) {
            int[] queue = pool.acceptQueue();
            if (queue != null) {
                length.dataPoint(point(queue[0], "listener", pool.spec().toString()));
                limit.dataPoint(point(queue[1], "listener", pool.spec().toString()));
            }
        }
        out.metricSnapshot(length.build()).metricSnapshot(limit.build());
    }

    private static GaugeSnapshot.Builder gauge(String name, String help) {
        return GaugeSnapshot.builder().name(name).help(help);
    }

    private static GaugeSnapshot single(String name, String help, double value) {
        return gauge(name, help).dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot.Builder counter(String name, String help, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build());
    }

    private static GaugeDataPointSnapshot point(double value, String... labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }
}
