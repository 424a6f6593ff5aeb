package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import prefork.examples.EchoChild;
import prefork.examples.PidChild;
import prefork.testchildren.SlowBootChild;

/**
 * The metrics port with real worker JVMs: GET /metrics checked by promtool and scraped by a real Prometheus
 * server; counters that survive recycling; the kernel's accept queue; /healthz and /readyz through start,
 * growth and shutdown.
 */
@Timeout(120)
class MetricsIT {
    private PreforkServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
            server.close();
        }
        Processes.assertNoChildren();
    }

    @Test
    void prometheusScrapesCountersThatRecyclingNeverLowers(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(PrometheusServer.installed() && Files.isExecutable(Path.of("/usr/bin/promtool")),
                "Debian's prometheus package is not installed (dev/ensure-tools installs it)");
        server = PreforkServer.builder(PidChild.class).port(0).minServers(1).maxServers(2).minSpareServers(0)
                .maxSpareServers(2).maxRequests(2).metricsPort(0).start();
        for (int i = 0; i < 5; i++) {
            Clients.pidFrom(server.port());
        }
        Await.until(Duration.ofSeconds(20), "two workers recycled after their 2 requests",
                () -> server.stats().exits().getOrDefault(ExitCause.RECYCLED, 0L) >= 2);
        String metrics = Http.get(server.metricsPort(), "/metrics").body();
        assertEquals(5.0, Http.sample(metrics, "prefork_requests_total"), metrics);
        assertTrue(Http.sample(metrics, "prefork_worker_exits_total{cause=\"recycled\"}") >= 2, metrics);
        assertTrue(Http.sample(metrics, "prefork_workers_spawned_total") >= 3, metrics);
        assertEquals(1.0, Http.sample(metrics, "prefork_pool_min_servers"));
        WorkerInfo live = server.workers().get(0);
        String slot = "listener=\"" + live.listener() + "\",slot=\"" + live.slot() + "\"}"; // labels come sorted
        assertTrue(Http.sample(metrics, "prefork_worker_memory_bytes{kind=\"pss\"," + slot) > 1 << 20, metrics);
        assertEquals((double) live.pid(), Http.sample(metrics, "prefork_worker_pid{" + slot), metrics);
        assertTrue(metrics.contains("prefork_workers{state=\"idle\"}"), metrics);
        assertTrue(metrics.contains("prefork_listen_queue_length{listener=\"" + live.listener() + "\"} 0.0"), metrics);

        Process promtool = new ProcessBuilder("/usr/bin/promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String said = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, promtool.exitValue(), "promtool check metrics: " + said);

        try (PrometheusServer prometheus = PrometheusServer.start(dir, server.metricsPort())) {
            Await.until(Duration.ofSeconds(30), "Prometheus scraped the server: up == 1 and 5 requests",
                    () -> {
                        try {
                            return prometheus.query("up{job=\"prefork\"}").contains("\"1\"]")
                                    && prometheus.query("prefork_requests_total").contains("\"5\"]");
                        } catch (IOException e) {
                            return false;
                        }
                    });
        }
    }

    @Test
    void acceptQueueHealthAndReadinessThroughAShutdown() throws Exception {
        server = PreforkServer.builder(EchoChild.class).port(0).minServers(1).maxServers(1).minSpareServers(0)
                .maxSpareServers(1).gracefulTimeout(Duration.ofSeconds(30)).metricsPort(0).start();
        int port = server.metricsPort();
        assertEquals(200, Http.get(port, "/healthz").status());
        assertEquals(200, Http.get(port, "/readyz").status());
        assertEquals(404, Http.get(port, "/nothing").status());
        List<Socket> clients = new ArrayList<>();
        try {
            Socket held = Clients.connect(server.port());
            clients.add(held);
            assertEquals("x", Clients.send(held, "x"), "the only worker is busy with the held connection");
            for (int i = 0; i < 3; i++) {
                clients.add(Clients.connect(server.port()));
            }
            Await.until(Duration.ofSeconds(10), "the kernel queues the 3 connections no worker has taken",
                    () -> scrape(port).contains("prefork_listen_queue_length{listener=\"" + server.listeners().get(0)
                            + "\"} 3.0"));
            server.shutdown(Duration.ofSeconds(30));
            Await.until(Duration.ofSeconds(10), "/readyz says 503 once the server is stopping",
                    () -> status(port, "/readyz") == 503);
            assertEquals(200, Http.get(port, "/healthz").status(), "the supervisor still turns while stopping");
            assertEquals("y", Clients.send(held, "y"), "the held connection is still served");
        } finally {
            Clients.closeAll(clients);
        }
        assertTrue(server.awaitTermination(Duration.ofSeconds(30)));
        assertThrows(IOException.class, () -> Http.get(port, "/healthz"), "the metrics port is closed at the end");
    }

    @Test
    void readyzIs503UntilMinServersWorkersAreReady() throws Exception {
        server = PreforkServer.builder(SlowBootChild.class).childProperty("boot-ms", "2000").port(0).minServers(1)
                .maxServers(3).minSpareServers(0).maxSpareServers(3).metricsPort(0).start();
        int port = server.metricsPort();
        assertEquals(200, Http.get(port, "/readyz").status());
        server.resize(new PoolBounds(2, 3, 0, 3));
        Await.until(Duration.ofSeconds(5), "/readyz says 503 while the second worker boots",
                () -> status(port, "/readyz") == 503);
        Await.until(Duration.ofSeconds(30), "/readyz says 200 once two workers are ready",
                () -> status(port, "/readyz") == 200);
        assertEquals(2, server.workers().size());
    }

    private static String scrape(int port) {
        try {
            return Http.get(port, "/metrics").body();
        } catch (IOException e) {
            return "";
        }
    }

    private static int status(int port, String path) {
        try {
            return Http.get(port, path).status();
        } catch (IOException e) {
            return -1;
        }
    }
}
