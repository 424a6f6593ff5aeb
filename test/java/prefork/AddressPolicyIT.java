package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * allow/deny and the per-address limit, applied by real workers right after accept (before any child hook), for
 * IPv4 (127.0.0.1) and IPv6 (::1) clients of one dual-stack listener, in the shared mode and in reuse-port mode.
 * A refused client gets EOF without a byte; the access log tells refused and limited connections apart. UDP
 * datagrams from a denied address are dropped.
 */
@Timeout(90)
class AddressPolicyIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void denyOfIpv4ServesIpv6AndTheLimitRefusesASecondConnectionFromOneAddress() throws Exception {
        Path access = Path.of("target", "address-policy-it-access.log");
        Files.deleteIfExists(access);
        try (PreforkServer server = TestServers.pool(EchoChild.class, log, 3, 3, 3).bindIp("::").deny("127.0.0.1/32")
                .maxConnectionsPerAddress(1).accessLog(access.toString()).start()) {
            int port = server.port();
            assertNull(exchange("127.0.0.1", port, "v4"), "127.0.0.1 is denied");
            assertEquals("v6", exchange("::1", port, "v6"), "::1 is served");
            // the limit counts busy workers: until the one that served "v6" has seen its client close, a new
            // connection from ::1 would be its second
            Await.until(Duration.ofSeconds(10), "the worker that served v6 is idle again", () -> server.stats().busy() == 0);
            try (Socket first = connect("::1", port)) {
                assertEquals("held", Clients.send(first, "held"), "one connection from ::1 is open");
                assertNull(exchange("::1", port, "second"), "a second one from ::1 is over the limit");
            }
            Await.until(Duration.ofSeconds(10), "::1 is served again once its connection closed",
                    () -> "again".equals(quietly(() -> exchange("::1", port, "again"))));
            Await.until(Duration.ofSeconds(5), "the access log has both refusals", () -> {
                String lines = TestServers.readOrEmpty(access);
                return lines.contains("client=127.0.0.1:") && lines.contains("outcome=refused")
                        && lines.contains("outcome=limited");
            });
            assertEquals(3, server.stats().spawned(), "refusals cost no worker");
        }
    }

    @Test
    void anAllowListAdmitsOnlyItsBlocksAndDenyWinsOverAllowInReusePortMode() throws Exception {
        try (PreforkServer server = TestServers.pool(EchoChild.class, log, 2, 2, 2).bindIp("::").reusePort(true)
                .allow("127.0.0.0/8").allow("::1/128").deny("::1/128").start()) {
            int port = server.port();
            assertEquals("v4", exchange("127.0.0.1", port, "v4"), "127.0.0.1 is in the allow list");
            assertNull(exchange("::1", port, "v6"), "::1 is allowed and denied: denied");
        }
        try (PreforkServer server = TestServers.pool(EchoChild.class, log, 1, 1, 1).bindIp("::")
                .allow("::1/128").start()) {
            assertNull(exchange("127.0.0.1", server.port(), "v4"), "127.0.0.1 is not in the allow list");
            assertEquals("v6", exchange("::1", server.port(), "v6"), "::1 is");
        }
    }

    @Test
    void aUdpListenerDropsDatagramsFromDeniedAddresses() throws Exception {
        Path access = Path.of("target", "address-policy-it-udp-access.log");
        Files.deleteIfExists(access);
        try (PreforkServer server = TestServers.pool(EchoChild.class, log, 1, 1, 1).protocol(Protocol.UDP)
                .bindIp("::").deny("127.0.0.1").accessLog(access.toString()).start();
                DatagramSocket v4 = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                DatagramSocket v6 = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            byte[] ping = "ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            v4.send(new DatagramPacket(ping, ping.length, new InetSocketAddress("127.0.0.1", server.port())));
            Await.until(Duration.ofSeconds(10), "the IPv4 datagram is refused",
                    () -> TestServers.readOrEmpty(access).contains("outcome=refused"));
            v6.setSoTimeout(Clients.TIMEOUT_MILLIS);
            v6.send(new DatagramPacket(ping, ping.length, new InetSocketAddress("::1", server.port())));
            DatagramPacket reply = new DatagramPacket(new byte[16], 16);
            v6.receive(reply);
            assertEquals("ping", new String(reply.getData(), 0, reply.getLength(), java.nio.charset.StandardCharsets.US_ASCII));
            v4.setSoTimeout(200);
            assertThrows(java.net.SocketTimeoutException.class, () -> v4.receive(new DatagramPacket(new byte[16], 16)),
                    "no reply went to 127.0.0.1");
        }
    }

    private static Socket connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), Clients.TIMEOUT_MILLIS);
        socket.setSoTimeout(Clients.TIMEOUT_MILLIS);
        return socket;
    }

    /** Sends a line from a client on {@code host}; the echoed line, or null when the server closed first. */
    private static String exchange(String host, int port, String line) throws IOException {
        try (Socket socket = connect(host, port)) {
            return Clients.send(socket, line);
        } catch (java.net.SocketException reset) {
            return null; // closed before our line arrived: a reset instead of EOF
        }
    }

    private interface Call {
        String get() throws IOException;
    }

    private static String quietly(Call call) {
        try {
            return call.get();
        } catch (IOException e) {
            return null;
        }
    }
}
