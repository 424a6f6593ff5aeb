package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;

/**
 * systemd socket activation and sd_notify, with Debian's systemd-socket-activate standing in for systemd: the
 * manager takes its listeners from LISTEN_FDS (no --port), serves them like its own, and reports READY=1,
 * STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 to a notify socket the test owns.
 */
@Timeout(90)
class SocketActivationIT {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private ActivatedManager manager;
    private NotifySocket notify;

    @BeforeEach
    void needsTheActivator() {
        assumeTrue(Files.isExecutable(ActivatedManager.ACTIVATE), "systemd-socket-activate (package systemd) is missing");
    }

    @AfterEach
    void noProcessLeft() throws IOException {
        if (manager != null) {
            manager.close();
        }
        if (notify != null) {
            notify.close();
        }
        Processes.assertNoChildren();
    }

    @Test
    void tcpAndUnixSocketsFromSystemdAreServedAndReadinessIsReported() throws Exception {
        int port = ActivatedManager.freePort();
        Path unix = Path.of("target", "socket-activation-it.sock").toAbsolutePath();
        Files.deleteIfExists(unix);
        notify = NotifySocket.bind(Path.of("target", "socket-activation-it.notify").toAbsolutePath().toString());
        manager = new ActivatedManager("socket-activation-it-tcp", List.of("-l", "127.0.0.1:" + port, "-l",
                unix.toString(), "--fdname=web:local", "-E", "NOTIFY_SOCKET=" + notify.name(), "-E", "WATCHDOG_USEC=400000"),
                PidChild.class, "--min-servers", "1", "--max-servers", "2", "--min-spare-servers", "0",
                "--max-spare-servers", "2");
        manager.awaitListening(2);

        long first = Clients.pidFrom(port); // the first client makes the activator exec the manager
        assertNotEquals(manager.pid(), first, "a worker answers, not the manager");
        assertTrue(manager.workers().contains(first), "the answer came from the manager's worker " + first);
        assertEquals("prefork: listening on tcp 127.0.0.1:" + port, manager.nextLine());
        assertEquals("prefork: listening on unix " + unix, manager.nextLine());
        assertTrue(manager.log().contains("socket activation: fd 3 (web) is tcp://127.0.0.1:" + port), manager.log());
        assertTrue(manager.log().contains("socket activation: fd 4 (local) is unix:" + unix), manager.log());
        long unixPid = pidOverUnix(unix);
        assertTrue(manager.workers().contains(unixPid) && unixPid != first, "the unix socket has a pool of its own");
        for (long worker : manager.workers()) {
            Set<String> env = ActivatedManager.environmentNames(worker);
            assertTrue(Collections.disjoint(env, Set.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET",
                    "WATCHDOG_USEC")), "a worker gets none of systemd's variables: " + env);
        }

        String ready = notify.awaitLine(LIMIT, "READY=1");
        assertTrue(ready.contains("MAINPID=" + manager.pid() + "\n"), ready);
        assertTrue(ready.matches("(?s).*STATUS=2 workers \\(\\d busy, \\d idle, 0 starting\\).*"), ready);
        notify.awaitLine(LIMIT, "WATCHDOG=1");
        notify.awaitLine(LIMIT, "WATCHDOG=1");

        ActivatedManager.signal("HUP", Set.of(manager.pid()));
        String reloading = notify.awaitLine(LIMIT, "RELOADING=1");
        long usec = Long.parseLong(reloading.lines().filter(l -> l.startsWith("MONOTONIC_USEC=")).findFirst()
                .orElseThrow().substring("MONOTONIC_USEC=".length()));
        assertTrue(Math.abs(System.nanoTime() / 1000 - usec) < LIMIT.toNanos() / 1000, "CLOCK_MONOTONIC: " + usec);
        notify.awaitLine(LIMIT, "READY=1");
        assertEquals(2, manager.count("reload: generation 2 is ready"), "READY=1 once both pools' generation 2 is up");
        // generation 1 is stopped after generation 2 is ready: until then its idle worker may still accept
        Await.until(LIMIT, "the first generation's tcp worker has exited", () -> !Processes.alive(first));
        long afterReload = Clients.pidFrom(port);
        assertTrue(afterReload != first && manager.workers().contains(afterReload), "a new worker serves");

        ActivatedManager.signal("TERM", Set.of(manager.pid()));
        notify.awaitLine(LIMIT, "STOPPING=1");
        assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS), "the manager stops");
        assertEquals(0, manager.process.exitValue(), manager.log());
        Files.deleteIfExists(unix);
    }

    @Test
    void aUdpSocketFromSystemdIsServedAndAnAbstractNotifySocketWorks() throws Exception {
        int port = ActivatedManager.freePort();
        notify = NotifySocket.bind("@prefork-socket-activation-it-" + ProcessHandle.current().pid());
        manager = new ActivatedManager("socket-activation-it-udp", List.of("-l", "127.0.0.1:" + port, "--datagram",
                "-E", "NOTIFY_SOCKET=" + notify.name()), PidChild.class, "--min-servers", "2", "--max-servers", "2",
                "--min-spare-servers", "0", "--max-spare-servers", "2");
        manager.awaitListening(1);
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.setSoTimeout((int) LIMIT.toMillis());
            byte[] ask = "pid".getBytes(StandardCharsets.US_ASCII);
            client.send(new DatagramPacket(ask, ask.length, InetAddress.getLoopbackAddress(), port));
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            client.receive(reply);
            long worker = Long.parseLong(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII).trim());
            assertTrue(manager.workers().contains(worker), "a worker of the manager answered the first datagram");
        }
        assertEquals("prefork: listening on udp 127.0.0.1:" + port, manager.nextLine());
        assertTrue(notify.awaitLine(LIMIT, "READY=1").contains("STATUS=2 workers"));
        ActivatedManager.signal("TERM", Set.of(manager.pid()));
        notify.awaitLine(LIMIT, "STOPPING=1");
        assertTrue(manager.process.waitFor(30, TimeUnit.SECONDS), "the manager stops");
        assertEquals(0, manager.process.exitValue(), manager.log());
    }

    private static long pidOverUnix(Path socket) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer reply = ByteBuffer.allocate(64);
            while (channel.read(reply) >= 0 && reply.hasRemaining()) {
                // PidChild writes its pid and closes
            }
            return Long.parseLong(new String(reply.array(), 0, reply.position(), StandardCharsets.US_ASCII).trim());
        }
    }
}
