package prefork;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus}) on 127.0.0.1, port chosen by the kernel and read back
 * from /proc, scraping one target every second. {@link #close()} stops it and waits.
 */
final class PrometheusServer implements AutoCloseable {
    private final Process process;
    final int port;

    private PrometheusServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Whether the prometheus binary is installed (dev/ensure-tools installs it). */
    static boolean installed() {
        return Files.isExecutable(Path.of("/usr/bin/prometheus"));
    }

    /** Starts Prometheus in {@code dir}, scraping http://127.0.0.1:{@code targetPort}/metrics as job "prefork". */
    static PrometheusServer start(Path dir, int targetPort) throws IOException {
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                + "  - job_name: prefork\n    static_configs:\n      - targets: ['127.0.0.1:" + targetPort + "']\n");
        Process process = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:0",
                "--log.level=warn").redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        int[] port = {0};
        try {
            Await.until(Duration.ofSeconds(30), "Prometheus listens", () -> {
                OptionalInt found = listeningPort(process.pid());
                found.ifPresent(p -> port[0] = p);
                return found.isPresent() || !process.isAlive();
            });
        } catch (AssertionError | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
        if (!process.isAlive()) {
            throw new AssertionError("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
        }
        return new PrometheusServer(process, port[0]);
    }

    /** The body of GET /api/v1/query?query=QUERY (JSON). */
    String query(String query) throws IOException {
        return Http.get(port, "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).body();
    }

    /** The TCP port a process listens on, from its socket fds and /proc/net/tcp(6). */
    static OptionalInt listeningPort(long pid) {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException ignored) {
                    // the fd closed meanwhile
                }
            });
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                        return OptionalInt.of(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                    }
                }
            }
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
