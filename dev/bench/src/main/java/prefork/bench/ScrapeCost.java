package prefork.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a GET /metrics costs the manager: an idle pool of W Java workers with the metrics port on; each round
 * alternates an idle window (the manager's own CPU while nothing asks it anything) with a window of back-to-back
 * scrapes by one keep-alive HTTP client, as Prometheus scrapes. The manager's CPU per scrape is the scrape
 * window's CPU less the idle rate over as long, divided by the scrapes; wall time is per request, client included.
 */
final class ScrapeCost {
    record Row(int workers, int round, double cpuMillisPerScrape, double idleCpuPercent, double medianMillis,
            double p99Millis, int bytes) {}

    private ScrapeCost() {}

    static List<Row> measure(Path jar, int workers, int rounds, int scrapes, Path root) throws Exception {
        List<String> command = ServerSpec.launcher(jar, "prefork.examples.EchoChild", "--metrics-port", "0",
                "--min-servers", Integer.toString(workers), "--max-servers", Integer.toString(workers),
                "--min-spare-servers", "0", "--max-spare-servers", Integer.toString(workers));
        List<Row> rows = new ArrayList<>();
        try (ServerProcess server = ServerProcess.start("scrape-cost", command, root)) {
            int port = server.awaitListening("metrics", Duration.ofSeconds(60)).getPort();
            server.awaitListening("tcp", Duration.ofSeconds(60));
            Thread.sleep(1000L + 200L * workers); // the pool boots
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
            scrape(client, request, 30); // warm-up: the manager's metrics code gets compiled
            long manager = server.handle().pid();
            for (int round = 1; round <= rounds; round++) {
                long idleStart = System.nanoTime(), idleTicks = Procs.cpuTicks(manager);
                Thread.sleep(3000);
                double idleRate = (Procs.cpuTicks(manager) - idleTicks) * Procs.MILLIS_PER_TICK
                        / ((System.nanoTime() - idleStart) / 1e6);
                long start = System.nanoTime(), ticks = Procs.cpuTicks(manager);
                long[] micros = new long[scrapes];
                int bytes = 0;
                for (int i = 0; i < scrapes; i++) {
                    long t = System.nanoTime();
                    bytes = scrape(client, request, 1);
                    micros[i] = (System.nanoTime() - t) / 1000;
                }
                double wallMillis = (System.nanoTime() - start) / 1e6;
                double cpuMillis = (Procs.cpuTicks(manager) - ticks) * Procs.MILLIS_PER_TICK - idleRate * wallMillis;
                Arrays.sort(micros);
                Row row = new Row(workers, round, cpuMillis / scrapes, 100 * idleRate,
                        LoadGenerator.percentile(micros, 0.5) / 1000.0, LoadGenerator.percentile(micros, 0.99) / 1000.0,
                        bytes);
                Suite.progress(String.format("scrape %d workers round %d: %.2f ms manager CPU/scrape, %.2f ms median,"
                        + " idle manager %.2f%% CPU, %d bytes", workers, round, row.cpuMillisPerScrape(),
                        row.medianMillis(), row.idleCpuPercent(), bytes));
                rows.add(row);
            }
        }
        return rows;
    }

    /** GETs {@code count} times; returns the last body's length; throws unless every answer is 200. */
    private static int scrape(HttpClient client, HttpRequest request, int count) throws Exception {
        int bytes = 0;
        for (int i = 0; i < count; i++) {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET /metrics answered " + response.statusCode());
            }
            bytes = response.body().length;
        }
        return bytes;
    }

    static void report(StringBuilder md, List<Row> rows, int scrapes) {
        md.append("| workers | rounds × scrapes | manager CPU ms per scrape | wall ms per scrape, median | p99 | "
                + "body bytes | idle manager CPU % |\n|---:|---|---|---|---|---:|---|\n");
        rows.stream().map(Row::workers).distinct().forEach(w -> {
            List<Row> list = rows.stream().filter(r -> r.workers() == w).toList();
            md.append("| ").append(w).append(" | ").append(list.size()).append(" × ").append(scrapes).append(" | ")
                    .append(Stats.withRange(list.stream().map(Row::cpuMillisPerScrape).toList())).append(" | ")
                    .append(Stats.withRange(list.stream().map(Row::medianMillis).toList())).append(" | ")
                    .append(Stats.withRange(list.stream().map(Row::p99Millis).toList())).append(" | ")
                    .append(list.get(list.size() - 1).bytes()).append(" | ")
                    .append(Stats.withRange(list.stream().map(Row::idleCpuPercent).toList())).append(" |\n");
        });
    }
}
