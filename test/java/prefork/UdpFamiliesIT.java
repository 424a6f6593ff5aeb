package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * UDP replies on every address family, on whichever JDK runs the tests (the workers run the same java): an IPv4
 * address, the IPv4 wildcard, IPv6 loopback and the dual-stack wildcard, each with a real client of the family it
 * serves; and an IPv4 listener still behaves as an IPv4 socket (it owns the IPv4 port, and has nothing on IPv6).
 */
@Timeout(120)
class UdpFamiliesIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private PreforkServer start(String bindIp) throws Exception {
        return PreforkServer.builder(EchoChild.class).protocol("udp").bindIp(bindIp).port(0).log(log)
                .minServers(1).maxServers(1).minSpareServers(0).maxSpareServers(1).start();
    }

    @Test
    void ipv4LoopbackRepliesFromTheServersPort() throws Exception {
        try (PreforkServer server = start("127.0.0.1")) {
            assertEquals("v4", echo("127.0.0.1", server.port(), "v4"));
        }
    }

    @Test
    void theIpv4WildcardReplies() throws Exception {
        try (PreforkServer server = start("0.0.0.0")) {
            assertEquals("any v4", echo("127.0.0.1", server.port(), "any v4"));
        }
    }

    @Test
    void ipv6LoopbackReplies() throws Exception {
        try (PreforkServer server = start("::1")) {
            assertEquals("v6", echo("::1", server.port(), "v6"));
        }
    }

    @Test
    void theDualStackWildcardRepliesToBothFamilies() throws Exception {
        try (PreforkServer server = start("::")) {
            assertEquals("dual v6", echo("::1", server.port(), "dual v6"));
            assertEquals("dual v4", echo("127.0.0.1", server.port(), "dual v4"));
        }
    }

    @Test
    void anIpv4ListenerOwnsTheIpv4PortAndServesNoIpv6() throws Exception {
        try (PreforkServer server = start("127.0.0.1")) {
            int port = server.port();
            try (DatagramChannel rival = DatagramChannel.open(StandardProtocolFamily.INET)) {
                assertThrows(BindException.class, () -> rival.bind(new InetSocketAddress("127.0.0.1", port)),
                        "a second IPv4 socket cannot take the port");
            }
            try (DatagramChannel v6 = DatagramChannel.open(StandardProtocolFamily.INET6)) {
                v6.connect(new InetSocketAddress("::1", port));
                v6.write(ByteBuffer.wrap("to ::1".getBytes(StandardCharsets.UTF_8)));
                v6.socket().setSoTimeout(10_000);
                assertThrows(PortUnreachableException.class,
                        () -> v6.socket().receive(new DatagramPacket(new byte[64], 64)),
                        "nothing listens on [::1]:" + port);
            }
            assertEquals("still v4", echo("127.0.0.1", port, "still v4"));
        }
    }

    /**
     * Sends {@code text} from a client of {@code host}'s family and returns the reply; fails unless the reply
     * comes from {@code host:port} itself within 10 s.
     */
    private static String echo(String host, int port, String text) throws IOException {
        InetAddress address = InetAddress.getByName(host);
        InetSocketAddress target = new InetSocketAddress(address, port);
        try (DatagramChannel client = DatagramChannel.open(address instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6)) {
            client.socket().setSoTimeout(10_000);
            client.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), target);
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            client.socket().receive(reply);
            assertEquals(target, reply.getSocketAddress(), "the reply comes from the server's own address and port");
            return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
        }
    }
}
