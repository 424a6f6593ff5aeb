package prefork.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shared accept against dispatch mode (issue 15): the launcher with the Java echo child and a fixed pool, one
 * listener (tcp 127.0.0.1) or three (tcp 127.0.0.1, tcp ::1, a Unix socket), loaded by short connections
 * (connect, one line, its echo, close) from client threads spread over the listeners. Reports connections per
 * second, the server tree's CPU per connection, p50/p99 latency, the tree's PSS at idle, the workers' mean PSS
 * and their median "ready in" time (dispatch workers load jnr). Loopback only; every loop is bounded in time
 * and count. usage: AcceptModes --jar target/prefork.jar [--workers 4] [--clients 8] [--seconds 5] [--rounds 1]
 * [--modes shared,dispatch] [--listeners 1,3] (1 or 3 each)
 */
public final class AcceptModes {
    private static final Pattern LISTENING = Pattern.compile("listening on (tcp|unix) (\\S+)");
    private static final Pattern READY = Pattern.compile("ready in (\\d+) ms");
    private static final int MAX_OPERATIONS_PER_CLIENT = 200_000;

    record Figures(String mode, int listeners, int workers, double perSecond, double cpuMicrosPerConnection,
            double p50Micros, double p99Micros, long errors, long treePssKib, double workerPssKib, long readyMillis) {}

    private AcceptModes() {}

    public static void main(String[] args) throws Exception {
        List<String> given = Arrays.asList(args);
        Path jar = Path.of(value(given, "--jar", "target/prefork.jar"));
        int workers = Integer.parseInt(value(given, "--workers", "4"));
        int clients = Integer.parseInt(value(given, "--clients", "8"));
        int seconds = Integer.parseInt(value(given, "--seconds", "5"));
        int rounds = Integer.parseInt(value(given, "--rounds", "1"));
        List<String> modes = List.of(value(given, "--modes", "shared,dispatch").split(","));
        List<String> listenerCounts = List.of(value(given, "--listeners", "1,3").split(","));
        List<Figures> all = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (String count : listenerCounts) {
                int listeners = Integer.parseInt(count);
                for (String mode : modes) {
                    System.err.println("accept modes: round " + (round + 1) + ", " + mode + ", " + listeners + " listener(s)");
                    all.add(measure(jar, mode, listeners, workers, clients, seconds));
                }
            }
        }
        System.out.println("| accept mode | listeners | workers | conn/s | server CPU us/conn | p50 us | p99 us | errors"
                + " | tree PSS MiB (idle) | worker PSS MiB | worker ready ms (median) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Figures f : all) {
            System.out.println(String.format(Locale.ROOT, "| %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %d | %.1f | %.1f | %d |",
                    f.mode(), f.listeners(), f.workers(), f.perSecond(), f.cpuMicrosPerConnection(), f.p50Micros(),
                    f.p99Micros(), f.errors(), f.treePssKib() / 1024.0, f.workerPssKib() / 1024.0, f.readyMillis()));
        }
    }

    private static Figures measure(Path jar, String mode, int listenerCount, int workers, int clients, int seconds)
            throws Exception {
        Path dir = Files.createTempDirectory("prefork-accept-modes");
        List<String> command = new ArrayList<>(List.of(ServerSpec.JAVA, "-jar", jar.toString(), "--handler",
                "prefork.examples.EchoChild", "--port", "0", "--min-servers", "" + workers, "--max-servers", "" + workers,
                "--min-spare-servers", "0", "--max-spare-servers", "" + workers, "--accept-mode", mode,
                "--class-data-sharing", "false"));
        if (listenerCount == 3) {
            command.addAll(List.of("--add-listener", "tcp://[::1]:0", "--add-listener", "unix:" + dir.resolve("echo.sock")));
        }
        Process server = new ProcessBuilder(command).start();
        List<String> addresses = new CopyOnWriteArrayList<>();
        List<Long> ready = new CopyOnWriteArrayList<>();
        pump(server.getInputStream(), line -> {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                addresses.add(m.group(1) + " " + m.group(2));
            }
        });
        pump(server.getErrorStream(), line -> {
            Matcher m = READY.matcher(line);
            if (m.find()) {
                ready.add(Long.parseLong(m.group(1)));
            }
        });
        try {
            int pools = mode.equals("dispatch") ? 1 : listenerCount;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while ((addresses.size() < listenerCount || ready.size() < pools * workers) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (addresses.size() < listenerCount) {
                throw new IllegalStateException(mode + ": the server did not report its listeners");
            }
            Thread.sleep(1500); // idle: let the workers settle before memory is read
            Memory memory = Memory.of(server.toHandle());
            load(addresses, clients, 2, null); // warm-up
            long before = treeTicks(server.toHandle());
            long[] latencies = new long[clients * MAX_OPERATIONS_PER_CLIENT];
            AtomicLong errors = new AtomicLong();
            long start = System.nanoTime();
            int done = load(addresses, clients, seconds, new Sink(latencies, errors));
            double elapsed = (System.nanoTime() - start) / 1e9;
            long ticks = treeTicks(server.toHandle()) - before;
            long[] measured = Arrays.copyOf(latencies, done);
            Arrays.sort(measured);
            List<Long> readyTimes = new ArrayList<>(ready);
            readyTimes.sort(null);
            return new Figures(mode, listenerCount, memory.workers().size(), done / elapsed,
                    ticks * Procs.MILLIS_PER_TICK * 1000 / Math.max(1, done), percentile(measured, 50) / 1e3,
                    percentile(measured, 99) / 1e3, errors.get(), memory.totalPssKib(), memory.workerPssKib(),
                    readyTimes.isEmpty() ? -1 : readyTimes.get(readyTimes.size() / 2));
        } finally {
            server.destroy();
            if (!server.waitFor(15, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            Files.deleteIfExists(dir.resolve("echo.sock"));
            Files.deleteIfExists(dir);
        }
    }

    /** Where measured clients put each connection's latency (nanoseconds) and count failures. */
    record Sink(long[] latencies, AtomicLong errors) {}

    /** Client i connects to listener i % n; returns the connections recorded (0 when {@code sink} is null). */
    private static int load(List<String> addresses, int clients, int seconds, Sink sink) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong recorded = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            String address = addresses.get(c % addresses.size());
            Thread client = new Thread(() -> {
                for (int i = 0; i < MAX_OPERATIONS_PER_CLIENT && System.nanoTime() < end; i++) {
                    long t0 = System.nanoTime();
                    try {
                        exchange(address);
                        if (sink != null) {
                            int slot = (int) recorded.getAndIncrement();
                            if (slot < sink.latencies().length) {
                                sink.latencies()[slot] = System.nanoTime() - t0;
                            }
                        }
                    } catch (IOException e) {
                        if (sink != null) {
                            sink.errors().incrementAndGet();
                        }
                    }
                }
            }, "client " + c);
            client.start();
            threads.add(client);
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(seconds + 30));
        }
        return (int) Math.min(recorded.get(), sink == null ? 0 : sink.latencies().length);
    }

    /** One short connection: "ping", its echo, close; throws IOException on any failure or a wrong echo. */
    private static void exchange(String address) throws IOException {
        String[] parts = address.split(" ", 2);
        if (parts[0].equals("unix")) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(parts[1]));
                roundTrip(Channels.newInputStream(channel), Channels.newOutputStream(channel));
            }
            return;
        }
        int colon = parts[1].lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(parts[1].substring(0, colon), Integer.parseInt(parts[1].substring(colon + 1))), 5000);
            socket.setSoTimeout(5000);
            roundTrip(socket.getInputStream(), socket.getOutputStream());
        }
    }

    private static void roundTrip(InputStream in, OutputStream out) throws IOException {
        out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] echo = in.readNBytes(5);
        if (!new String(echo, StandardCharsets.US_ASCII).equals("ping\n")) {
            throw new IOException("bad echo");
        }
    }

    private static long treeTicks(ProcessHandle root) {
        return Procs.tree(root).stream().mapToLong(p -> Procs.cpuTicks(p.pid())).sum();
    }

    private static long percentile(long[] sorted, int p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) ((long) sorted.length * p / 100))];
    }

    private static void pump(InputStream stream, java.util.function.Consumer<String> line) {
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String text = in.readLine(); text != null; text = in.readLine()) {
                    line.accept(text);
                }
            } catch (IOException ignored) {
                // the server ended
            }
        }, "pump");
        pump.setDaemon(true);
        pump.start();
    }

    private static String value(List<String> args, String name, String fallback) {
        int at = args.indexOf(name);
        return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : fallback;
    }
}
