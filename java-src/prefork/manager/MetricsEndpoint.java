package prefork.manager;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import prefork.Options;
import prefork.PreforkServer;

/**
 * The metrics port (the metricsPort option): one small HTTP server in the manager, on one daemon thread, with
 * GET /metrics (Prometheus text format, {@link PoolMetrics}), /healthz (200 while every supervisor loop turns)
 * and /readyz (200 when every pool has minServers ready workers and the server is not stopping; else 503).
 * Read-only: nothing it serves changes the server. Started before workers spawn, closed when the server has
 * terminated.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** No metrics port. */
    public static final MetricsEndpoint NONE = new MetricsEndpoint(null, null);
    private final HTTPServer http;
    private final ExecutorService executor;

    private MetricsEndpoint(HTTPServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /** Binds the metrics port the options ask for; throws IOException naming the option when it cannot. */
    public static MetricsEndpoint start(PreforkServer server, List<ListenerPool> pools, ServerConfig config)
            throws IOException {
        Integer port = config.get(Options.METRICS_PORT);
        if (port == null) {
            return NONE;
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PoolMetrics(server, pools));
        ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "prefork-metrics");
            thread.setDaemon(true);
            return thread;
        });
        try {
            HTTPServer http = HTTPServer.builder().inetAddress(InetAddress.getByName(config.get(Options.METRICS_BIND)))
                    .port(port).registry(registry).executorService(executor)
                    .defaultHandler(exchange -> probe(exchange, server)).buildAndStart();
            return new MetricsEndpoint(http, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new IOException("cannot serve metrics on metricsPort=" + port + " metricsBind="
                    + config.get(Options.METRICS_BIND) + ": " + e.getMessage(), e);
        }
    }

    /** /healthz and /readyz; 404 for any other path, 405 for a method other than GET or HEAD. */
    private static void probe(HttpExchange exchange, PreforkServer server) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            int status;
            String body;
            if (!method.equals("GET") && !method.equals("HEAD")) {
                status = 405;
                body = "only GET and HEAD\n";
            } else if (path.equals("/healthz")) {
                status = server.isHealthy() ? 200 : 503;
                body = status == 200 ? "ok\n" : "the supervisor is not turning\n";
            } else if (path.equals("/readyz")) {
                status = server.isReady() ? 200 : 503;
                body = status == 200 ? "ready\n" : "not ready: too few workers, or stopping\n";
            } else {
                status = 404;
                body = "try /metrics, /healthz or /readyz\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            boolean head = method.equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } finally {
            exchange.close();
        }
    }

    /** The bound port, or -1 when there is no metrics port. */
    public int port() {
        return http == null ? -1 : http.getPort();
    }

    /** Stops serving; idempotent, never throws. */
    @Override
    public synchronized void close() {
        if (http != null) {
            http.close();
            executor.shutdownNow();
        }
    }
}
