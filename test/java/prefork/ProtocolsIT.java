package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
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
import prefork.examples.EchoChild;
import prefork.testchildren.BindHookChild;

/** UDP, Unix sockets, several listeners, reuse-port mode and IPv6, with real workers and real clients. */
@Timeout(120)
class ProtocolsIT {
    private final CapturingLog log = new CapturingLog();
    /** Private to this test (Unix socket files go here); JUnit removes it. */
    @TempDir
    Path dir;

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private ServerBuilder small(Class<? extends BaseChild> child) {
        return TestServers.pool(child, log, 2, 4, 4);
    }

    @Test
    void udpEchoAnswersEveryDatagramFromConcurrentSenders() throws Exception {
        try (PreforkServer server = small(EchoChild.class).protocol("udp").start()) {
            InetSocketAddress target = new InetSocketAddress("127.0.0.1", server.port());
            ExecutorService senders = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> answered = new ArrayList<>();
                for (int s = 0; s < 8; s++) {
                    int sender = s;
                    answered.add(senders.submit(() -> udpExchanges(target, sender, 50)));
                }
                for (Future<Integer> count : answered) {
                    assertEquals(50, count.get(60, TimeUnit.SECONDS), "every datagram of a sender is echoed");
                }
            } finally {
                senders.shutdownNow();
            }
            Await.until(Duration.ofSeconds(5), "the scoreboard counts 400 requests", () -> server.stats().served() >= 400);
            assertEquals(Protocol.UDP, server.protocol());
        }
    }

    @Test
    void aUdpPortInUseIsRefused() throws Exception {
        try (DatagramChannel taken = DatagramChannel.open()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            IOException e = assertThrows(IOException.class, () -> small(EchoChild.class).protocol("udp").port(port).start());
            assertTrue(e.getMessage().contains("cannot bind udp 127.0.0.1:" + port), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
            assertTrue(Processes.children().isEmpty());
        }
    }

    /** Sends {@code count} distinct datagrams one at a time; returns how many came back intact (2 s each). */
    private static int udpExchanges(InetSocketAddress target, int sender, int count) throws IOException {
        int answered = 0;
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.socket().setSoTimeout(2000);
            channel.connect(target);
            ByteBuffer reply = ByteBuffer.allocate(512);
            for (int i = 0; i < count; i++) {
                byte[] payload = ("sender " + sender + " datagram " + i).getBytes(StandardCharsets.UTF_8);
                channel.write(ByteBuffer.wrap(payload));
                reply.clear();
                channel.socket().receive(new java.net.DatagramPacket(reply.array(), reply.capacity()));
                String text = new String(reply.array(), 0, payload.length, StandardCharsets.UTF_8);
                answered += text.equals(new String(payload, StandardCharsets.UTF_8)) ? 1 : 0;
            }
        }
        return answered;
    }

    @Test
    void aUnixSocketServesEchoReplacesAStaleFileAndIsRemovedOnShutdown() throws Exception {
        Path path = dir.resolve("echo.sock");
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(path), "a stale socket file, as a crashed server leaves it");
        PreforkServer server = small(EchoChild.class).protocol("unix").unixPath(path.toString()).unixMode("600").start();
        try {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(path)));
            assertEquals("hello unix", unixExchange(path, "hello unix"));
            assertTrue(server.workers().stream().allMatch(w -> w.listener().equals("unix:" + path)));
        } finally {
            server.close();
        }
        assertFalse(Files.exists(path), "the socket file is removed on shutdown");
    }

    @Test
    void aUnixSocketThatALiveServerOwnsIsRefused() throws Exception {
        Path path = dir.resolve("taken.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(path));
            IOException e = assertThrows(IOException.class,
                    () -> small(EchoChild.class).protocol("unix").unixPath(path.toString()).start());
            assertEquals("unixPath=" + path + " is in use: a live server answers on it", e.getMessage());
            assertTrue(Processes.children().isEmpty(), "nothing started");
            assertTrue(Files.exists(path), "the live server's file is left alone");
        }
    }

    private static String unixExchange(Path path, String line) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteBuffer reply = ByteBuffer.allocate(256);
            while (reply.position() == 0 || reply.get(reply.position() - 1) != '\n') {
                if (channel.read(reply) < 0) {
                    break;
                }
            }
            return new String(reply.array(), 0, Math.max(0, reply.position() - 1), StandardCharsets.UTF_8);
        }
    }

    @Test
    void oneServerAnswersOnTcpUdpAndUnixListenersAtOnce() throws Exception {
        Path path = dir.resolve("multi.sock");
        try (PreforkServer server = small(EchoChild.class)
                .addListener("udp://127.0.0.1:0").addListener("unix:" + path).start()) {
            List<ListenerSpec> listeners = server.listeners();
            assertEquals(3, listeners.size());
            assertEquals("tcp onetwo", Clients.exchange(server.port(), "tcp onetwo"));
            assertEquals(1, udpExchanges(new InetSocketAddress("127.0.0.1", listeners.get(1).port()), 0, 1));
            assertEquals("unix three", unixExchange(path, "unix three"));
            Set<String> served = new HashSet<>();
            server.workers().forEach(w -> served.add(w.listener()));
            assertEquals(Set.of(listeners.get(0).toString(), listeners.get(1).toString(), "unix:" + path), served,
                    "workers() says which listener each worker serves");
            assertEquals(6, server.workers().size(), "minServers per listener");
        }
    }

    @Test
    void theLauncherServesAClojureHandlerOnTcpUdpAndUnixListeners() throws Exception {
        Path path = dir.resolve("launcher.sock");
        try (LaunchedManager manager = new LaunchedManager("protocols-it-launcher", "prefork.examples.echo/handle",
                "--min-servers", "1", "--max-servers", "2", "--min-spare-servers", "0",
                "--add-listener", "udp://127.0.0.1:0", "--add-listener", "unix:" + path)) {
            String udp = manager.nextLine();
            assertTrue(udp.startsWith("prefork: listening on udp 127.0.0.1:"), udp);
            assertEquals("prefork: listening on unix " + path, manager.nextLine());
            assertEquals("clojure tcp", Clients.exchange(manager.port, "clojure tcp"));
            int udpPort = Integer.parseInt(udp.substring(udp.lastIndexOf(':') + 1));
            assertEquals(5, udpExchanges(new InetSocketAddress("127.0.0.1", udpPort), 1, 5));
            assertEquals("clojure unix", unixExchange(path, "clojure unix"));
            manager.signal("TERM");
            assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, manager.process.exitValue());
            assertFalse(Files.exists(path), "the socket file is removed");
        }
    }

    @Test
    void reusePortGivesEachWorkerItsOwnSocketAndRunsTheBindHooksInTheWorker() throws Exception {
        try (PreforkServer server = small(BindHookChild.class).minServers(3).maxServers(3).reusePort(true).start()) {
            Set<Long> pids = new HashSet<>();
            server.workers().forEach(w -> pids.add(w.pid()));
            assertEquals(3, listeningSockets(server.port()), "one listening socket per worker");
            Set<Long> answered = new HashSet<>();
            for (int i = 0; i < 200 && answered.size() < 3; i++) {
                String[] reply = Clients.exchange(server.port(), "x").split(" ");
                long pid = Long.parseLong(reply[0]);
                assertEquals(pid, Long.parseLong(reply[1]), "preBind ran in the worker");
                assertEquals(pid, Long.parseLong(reply[2]), "postBind ran in the worker");
                answered.add(pid);
            }
            assertEquals(pids, answered, "every worker accepts on its own socket");
        }
    }

    /** LISTEN entries for {@code port} in /proc/net/tcp (state 0A). */
    private static long listeningSockets(int port) throws IOException {
        String hexPort = String.format(":%04X ", port);
        return Files.readAllLines(Path.of("/proc/net/tcp")).stream()
                .filter(line -> line.contains(hexPort) && line.trim().split("\\s+")[3].equals("0A"))
                .count();
    }

    @Test
    void ipv6LoopbackAndTheAllAddressesBinding() throws Exception {
        try (PreforkServer server = small(EchoChild.class).bindIp("::1").start()) {
            assertEquals("tcp://[0:0:0:0:0:0:0:1]:" + server.port(), server.listeners().get(0).toString());
            assertEquals("over ipv6", exchangeAt("::1", server.port(), "over ipv6"));
        }
        try (PreforkServer server = small(EchoChild.class).bindIp("::").start()) {
            assertEquals("v6 client", exchangeAt("::1", server.port(), "v6 client"));
            assertEquals("v4 client", exchangeAt("127.0.0.1", server.port(), "v4 client"), "dual stack");
        }
    }

    private static String exchangeAt(String host, int port, String line) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(10_000);
            return Clients.send(socket, line);
        }
    }
}
