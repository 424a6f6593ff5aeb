package prefork.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test, run as its own JVM: drains its stdout (the "listening on PROTO HOST:PORT" lines) and
 * stderr (prefork's worker events, the last lines kept for error messages) on two threads, and on
 * {@link #close()} stops its whole process tree: TERM, then KILL of whatever is left after 10 s. Servers not
 * closed yet are closed by {@link #closeAll()} (the suite's shutdown hook).
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (tcp|udp) [0-9.]+:(\\d+)");
    /** The launcher's lines for its other ports, keyed "nrepl" and "metrics" in {@link #awaitListening}. */
    private static final Pattern NREPL = Pattern.compile("nREPL control plane on [0-9.]+:(\\d+)");
    private static final Pattern METRICS = Pattern.compile("metrics on http://[0-9.]+:(\\d+)");
    private static final Set<ServerProcess> LIVE = ConcurrentHashMap.newKeySet();
    private final String name;
    private final Process process;
    private final Map<String, Integer> ports = new ConcurrentHashMap<>();
    private final BlockingQueue<WorkerEvent> events = new LinkedBlockingQueue<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private final AtomicLong spawned = new AtomicLong();

    private ServerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        pump(process.getInputStream(), "out", this::stdout);
        pump(process.getErrorStream(), "err", this::stderr);
    }

    static ServerProcess start(String name, List<String> command, Path directory) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home")); // the launcher script's java
        ServerProcess server = new ServerProcess(name, builder.start());
        LIVE.add(server);
        return server;
    }

    /** Closes every server that is still running. */
    static void closeAll() {
        LIVE.forEach(ServerProcess::close);
    }

    String name() {
        return name;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Waits for the "listening on {@code protocol}" line ("nrepl", "metrics": the launcher's lines for those ports); throws with the server's last output if it exits or times out. */
    InetSocketAddress awaitListening(String protocol, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ports.containsKey(protocol)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                Thread.sleep(200); // let the pumps take the last lines
                throw new IllegalStateException(name + (process.isAlive() ? " did not report a " + protocol
                        + " port within " + timeout : " exited with status " + process.exitValue()) + ": " + tail());
            }
            Thread.sleep(10);
        }
        return new InetSocketAddress("127.0.0.1", ports.get(protocol));
    }

    /** The next worker event that matches, or null after {@code timeout}. Events that do not match are dropped. */
    WorkerEvent awaitEvent(Predicate<WorkerEvent> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            WorkerEvent event = events.poll(left, TimeUnit.NANOSECONDS);
            if (event != null && wanted.test(event)) {
                return event;
            }
        }
        return null;
    }

    /** How many workers the manager's log has reported spawned so far (0 for servers that are not prefork). */
    long spawned() {
        return spawned.get();
    }

    /** The last lines the server wrote, joined for an error message. */
    synchronized String tail() {
        return String.join(" | ", tail);
    }

    private void stdout(String line) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
            ports.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        for (Pattern other : new Pattern[] {NREPL, METRICS}) {
            Matcher o = other.matcher(line);
            if (o.find()) {
                ports.put(other == NREPL ? "nrepl" : "metrics", Integer.parseInt(o.group(1)));
            }
        }
        keep(line);
    }

    private void stderr(String line) {
        WorkerEvent event = WorkerEvent.parse(line);
        if (event != null) {
            events.add(event);
            if (event.kind().equals("spawned")) {
                spawned.incrementAndGet();
            }
        }
        keep(line);
    }

    private synchronized void keep(String line) {
        tail.addLast(line);
        while (tail.size() > 8) {
            tail.removeFirst();
        }
    }

    private void pump(InputStream stream, String which, java.util.function.Consumer<String> sink) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "bench-" + name + "-" + which);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops the server and every process it started; returns the pids still alive afterwards (none, normally). */
    @Override
    public void close() {
        LIVE.remove(this);
        List<ProcessHandle> tree = Procs.tree(process.toHandle());
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle p : tree) {
            p.destroyForcibly();
        }
        for (ProcessHandle p : Procs.tree(process.toHandle())) {
            p.destroyForcibly();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        tree.stream().filter(ProcessHandle::isAlive)
                .forEach(p -> System.err.println("bench: process " + p.pid() + " of " + name + " survived KILL"));
    }
}
