package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import prefork.testchildren.HelloChild;

/**
 * Dispatch mode with real worker JVMs: the manager accepts on every stream listener and passes each connection
 * to an idle worker of one pool (SCM_RIGHTS). HelloChild greets with "PID PROTOCOL PEER" at once and holds the
 * worker until the client closes, so a test knows which worker took its connection and can keep it busy.
 */
@Timeout(120)
class DispatchIT {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private final CapturingLog log = new CapturingLog();
    private final RecordingHooks hooks = new RecordingHooks();
    /** Private to this test (Unix socket files go here); JUnit removes it. */
    @TempDir
    Path dir;

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private ServerBuilder dispatching(int minServers, int maxServers) {
        return TestServers.pool(HelloChild.class, log, minServers, maxServers, maxServers).acceptMode("dispatch")
                .hooks(hooks);
    }

    @Test
    void threeListenersShareOnePoolAndWorkersSayWhichListenerEachConnectionCameFrom() throws Exception {
        Path unix = dir.resolve("hello.sock");
        try (PreforkServer server = dispatching(2, 2).addListener("tcp://[::1]:0").addListener("unix:" + unix)
                .addListener("udp://127.0.0.1:0").start()) {
            List<ListenerSpec> listeners = server.listeners();
            assertEquals(4, listeners.size());
            assertEquals(2 + 2, server.workers().size(), "one pool of 2 for the three stream listeners, 2 for udp");
            Set<Long> streamPids = new HashSet<>();
            server.workers().stream().filter(w -> !w.listener().startsWith("udp")).forEach(w -> streamPids.add(w.pid()));
            assertEquals(2, streamPids.size());
            try (Held v4 = Held.tcp(new InetSocketAddress("127.0.0.1", server.port()));
                    Held v6 = Held.tcp(new InetSocketAddress("::1", listeners.get(1).port()))) {
                assertEquals("tcp", v4.protocol);
                assertEquals("127.0.0.1", v4.peer);
                assertEquals("0:0:0:0:0:0:0:1", v6.peer);
                assertNotEquals(v4.pid, v6.pid, "a busy worker gets no second connection");
                assertTrue(streamPids.contains(v4.pid) && streamPids.contains(v6.pid));
                assertEquals(listeners.get(0).toString(), listenerOf(server, v4.pid));
                assertEquals(listeners.get(1).toString(), listenerOf(server, v6.pid));
                WorkerInfo busy = server.workers().stream().filter(w -> w.pid() == v6.pid).findFirst().orElseThrow();
                assertEquals(WorkerState.BUSY, busy.state());
                assertEquals(new InetSocketAddress("::1", v6.localPort), busy.client());
            }
            Await.until(LIMIT, "both workers idle again", () -> server.stats().idle() >= 3);
            try (Held local = Held.unix(unix)) {
                assertEquals("unix", local.protocol);
                assertEquals("-", local.peer);
                assertTrue(streamPids.contains(local.pid));
                assertEquals(listeners.get(2).toString(), listenerOf(server, local.pid));
            }
        }
    }

    @Test
    void theManagerRefusesDeniedAndOverTheLimitPeersBeforeAnyWorkerSeesThem() throws Exception {
        Path access = dir.resolve("access.log");
        try (PreforkServer server = dispatching(2, 2).addListener("tcp://[::1]:0").deny("127.0.0.1/32")
                .maxConnectionsPerAddress(1).accessLog(access.toString()).start()) {
            int v6 = server.listeners().get(1).port();
            try (Socket denied = new Socket()) {
                denied.connect(new InetSocketAddress("127.0.0.1", server.port()), Clients.TIMEOUT_MILLIS);
                assertNull(readLine(denied.getInputStream(), denied, Clients.TIMEOUT_MILLIS), "closed, no greeting");
            }
            try (Held first = Held.tcp(new InetSocketAddress("::1", v6)); Socket second = new Socket()) {
                second.connect(new InetSocketAddress("::1", v6), Clients.TIMEOUT_MILLIS);
                assertNull(readLine(second.getInputStream(), second, Clients.TIMEOUT_MILLIS),
                        "a second connection from ::1 is over the limit of 1 while the first is served");
                assertTrue(first.pid > 0);
            }
            Await.until(LIMIT, "the served connection's access line",
                    () -> TestServers.readOrEmpty(access).contains("outcome=served"));
            List<String> lines = Files.readAllLines(access);
            assertEquals(1, lines.size(), "only the served connection reached a worker: " + lines);
        }
    }

    @Test
    void killNineOfAWorkerHoldingAConnectionLosesOnlyThatConnection() throws Exception {
        try (PreforkServer server = dispatching(3, 3).start()) {
            Held victim = Held.tcp(server.port());
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<Set<Long>>> load = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    load.add(clients.submit(() -> greetings(server.port(), 40)));
                }
                Await.until(LIMIT, "load is running", () -> server.stats().served() >= 20);
                ProcessHandle.of(victim.pid).orElseThrow().destroyForcibly();
                assertNull(readLine(victim.in, victim, Clients.TIMEOUT_MILLIS), "the killed worker's own connection ends");
                victim.close();
                Set<Long> answered = new HashSet<>();
                for (Future<Set<Long>> client : load) {
                    answered.addAll(client.get(60, TimeUnit.SECONDS)); // throws if any connection failed
                }
                assertTrue(!answered.contains(victim.pid), "the busy victim was given no connection");
            } finally {
                clients.shutdownNow();
            }
            assertEquals(ExitCause.CRASHED, hooks.awaitExit(victim.pid, LIMIT).cause());
            assertEquals(9, hooks.awaitExit(victim.pid, LIMIT).signal());
        }
    }

    @Test
    void aStoppedWorkerIsKilledAfterDispatchTimeoutAndItsConnectionGoesToAnother() throws Exception {
        try (PreforkServer server = dispatching(3, 3).dispatchTimeout(Duration.ofMillis(500)).start()) {
            long stopped = server.workers().get(0).pid();
            signal("STOP", stopped);
            for (int i = 0; i < 12; i++) {
                try (Held held = Held.tcp(server.port())) {
                    assertNotEquals(stopped, held.pid, "connection " + i + " was answered by the stopped worker");
                }
            }
            RecordingHooks.Exit exit = hooks.awaitExit(stopped, LIMIT);
            assertEquals(ExitCause.TIMED_OUT, exit.cause(), "killed as hung: it never took its connection");
            assertTrue(hooks.timedOut.stream().anyMatch(w -> w.pid() == stopped));
            Await.until(LIMIT, "a replacement is ready", () -> server.stats().idle() == 3);
        }
    }

    @Test
    void overloadQueueLeavesConnectionsInTheKernelQueueUntilAWorkerIsIdle() throws Exception {
        try (PreforkServer server = dispatching(1, 1).start()) {
            assertEquals("queue", server.option(Options.OVERLOAD));
            Held first = Held.tcp(server.port());
            Socket second = new Socket();
            second.connect(new InetSocketAddress("127.0.0.1", server.port()), Clients.TIMEOUT_MILLIS);
            var greeting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return readLine(second.getInputStream(), second, Clients.TIMEOUT_MILLIS);
                } catch (IOException e) {
                    return "failed: " + e;
                }
            }, DispatchIT::ownThread);
            assertThrows(java.util.concurrent.TimeoutException.class, () -> greeting.get(300, TimeUnit.MILLISECONDS),
                    "no worker is free: the second connection waits");
            first.close();
            String line = greeting.get(Clients.TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertTrue(line != null && line.startsWith(first.pid + " "), "the freed worker took it: " + line);
            second.close();
        }
    }

    @Test
    void overloadCloseAcceptsAndClosesWhileEveryWorkerIsBusyAtMaxServers() throws Exception {
        try (PreforkServer server = dispatching(1, 1).overload("close").start()) {
            try (Held first = Held.tcp(server.port())) {
                for (int i = 0; i < 3; i++) {
                    try (Socket refused = new Socket()) {
                        refused.connect(new InetSocketAddress("127.0.0.1", server.port()), Clients.TIMEOUT_MILLIS);
                        assertNull(readLine(refused.getInputStream(), refused, Clients.TIMEOUT_MILLIS),
                                "closed at once, without a greeting");
                    }
                }
                assertEquals(1, server.stats().busy(), "the first connection is still served");
            }
            Await.until(LIMIT, "the worker is idle again", () -> server.stats().idle() == 1);
            try (Held again = Held.tcp(server.port())) {
                assertTrue(again.pid > 0);
            }
            assertTrue(log.contains("overload (close)"));
        }
    }

    @Test
    void reloadUnderLoadLosesNoConnection() throws Exception {
        try (PreforkServer server = dispatching(2, 4).start()) {
            Set<Long> first = new HashSet<>();
            server.workers().forEach(w -> first.add(w.pid()));
            java.util.concurrent.atomic.AtomicBoolean enough = new java.util.concurrent.atomic.AtomicBoolean();
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<Set<Long>>> load = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    load.add(clients.submit(() -> greetings(server.port(), 5000, enough)));
                }
                Await.until(LIMIT, "load is running", () -> server.stats().served() >= 30);
                server.reload();
                Await.until(LIMIT, "the first generation is gone",
                        () -> server.workers().stream().noneMatch(w -> first.contains(w.pid())));
                server.reload();
                Await.until(LIMIT, "only the third generation is left",
                        () -> server.workers().stream().allMatch(w -> w.generation() == 3));
                long served = server.stats().served();
                Await.until(LIMIT, "the third generation serves", () -> server.stats().served() > served + 50);
                enough.set(true);
                Set<Long> answered = new HashSet<>();
                for (Future<Set<Long>> client : load) {
                    answered.addAll(client.get(60, TimeUnit.SECONDS)); // throws if any connection failed
                }
                assertTrue(answered.stream().anyMatch(first::contains), "the old generation served");
                assertTrue(answered.stream().anyMatch(pid -> !first.contains(pid)), "the new generations served");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void workersRecycledAfterMaxRequestsLoseNoConnection() throws Exception {
        try (PreforkServer server = dispatching(2, 2).maxRequests(3).start()) {
            Set<Long> answered = greetings(server.port(), 24);
            assertTrue(answered.size() >= 8, "24 connections at 3 a worker: at least 8 workers, saw " + answered);
            Await.until(LIMIT, "recycled workers are reaped", () -> hooks.count(ExitCause.RECYCLED) >= 6);
            assertEquals(0, hooks.count(ExitCause.CRASHED) + hooks.count(ExitCause.TIMED_OUT));
        }
    }

    /** {@code count} connections one after another, each greeted; returns the workers that answered. */
    private static Set<Long> greetings(int port, int count) throws IOException {
        return greetings(port, count, new java.util.concurrent.atomic.AtomicBoolean());
    }

    /** The same, ending early once {@code enough} is set. */
    private static Set<Long> greetings(int port, int count, java.util.concurrent.atomic.AtomicBoolean enough)
            throws IOException {
        Set<Long> pids = new HashSet<>();
        for (int i = 0; i < count && !enough.get(); i++) {
            try (Held held = Held.tcp(port)) {
                pids.add(held.pid);
            }
        }
        return pids;
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + pid);
    }

    /** The listener {@code pid}'s current connection came from, as {@code workers()} says. */
    private static String listenerOf(PreforkServer server, long pid) {
        return server.workers().stream().filter(w -> w.pid() == pid).findFirst().orElseThrow().listener();
    }

    /** A client connection that has its greeting; closing it frees the worker. */
    static final class Held implements java.io.Closeable {
        final java.io.Closeable connection;
        final java.io.InputStream in;
        final long pid;
        final String protocol;
        final String peer;
        final int localPort;

        private Held(java.io.Closeable connection, java.io.InputStream in, int localPort) throws IOException {
            this.connection = connection;
            this.in = in;
            this.localPort = localPort;
            String line = readLine(in, connection, Clients.TIMEOUT_MILLIS);
            if (line == null) {
                connection.close();
                throw new IOException("closed without a greeting");
            }
            String[] hello = line.split(" ");
            pid = Long.parseLong(hello[0]);
            protocol = hello[1];
            peer = hello[2];
        }

        static Held tcp(InetSocketAddress address) throws IOException {
            Socket socket = new Socket();
            socket.connect(address, Clients.TIMEOUT_MILLIS);
            return new Held(socket, socket.getInputStream(), socket.getLocalPort());
        }

        static Held tcp(int port) throws IOException {
            return tcp(new InetSocketAddress("127.0.0.1", port));
        }

        static Held unix(Path path) throws IOException {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(path));
            return new Held(channel, java.nio.channels.Channels.newInputStream(channel), 0);
        }

        @Override
        public void close() throws IOException {
            connection.close();
        }
    }

    /** Runs {@code task} on a daemon thread of its own (the common pool has one thread on two cores). */
    private static void ownThread(Runnable task) {
        Thread thread = new Thread(task, "DispatchIT reader");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * One line from {@code in} (null at the end of the stream); throws SocketTimeoutException, closing
     * {@code connection}, when none comes within {@code millis}.
     */
    static String readLine(java.io.InputStream in, java.io.Closeable connection, int millis) throws IOException {
        java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            StringBuilder text = new StringBuilder();
            try {
                for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
                    text.append((char) c);
                }
            } catch (IOException e) {
                // reset or closed: what was read so far
            }
            return text.length() == 0 ? null : text.toString();
        }, DispatchIT::ownThread);
        try {
            return line.get(millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            connection.close();
            throw new SocketTimeoutException("no line within " + millis + " ms");
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IOException(e);
        }
    }
}
