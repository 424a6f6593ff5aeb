package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.internal.Handoff;
import prefork.internal.Native;
import prefork.internal.PassedDescriptors;

/** Dispatch mode's message and its descriptor passing over a real SOCK_SEQPACKET pair. */
@Timeout(10)
class HandoffTest {
    @Test
    void aConnectionMessageRoundTripsForIpv4Ipv6AndUnix() {
        for (Handoff.Connection sent : new Handoff.Connection[] {
                new Handoff.Connection(0, Handoff.INET, new InetSocketAddress("127.0.0.1", 40000)),
                new Handoff.Connection(2, Handoff.INET6, new InetSocketAddress("::1", 65535)),
                new Handoff.Connection(1, Handoff.UNIX, null)}) {
            byte[] bytes = sent.encode();
            assertEquals(sent, Handoff.Connection.decode(bytes, bytes.length));
        }
        assertThrows(IllegalArgumentException.class, () -> Handoff.Connection.decode(new byte[] {0, 4, 0, 0, 9}, 5));
        assertThrows(IllegalArgumentException.class, () -> new Handoff.Connection(256, Handoff.INET, null));
    }

    @Test
    void aPeerIsReadFromTheSockaddrAcceptFilledIn() {
        byte[] v4 = {2, 0, (byte) 0x9c, 0x40, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(new InetSocketAddress("127.0.0.1", 40000), Handoff.peer(v4, v4.length));
        byte[] mapped = new byte[28];
        mapped[0] = 10;
        mapped[3] = 80;
        mapped[18] = (byte) 0xff;
        mapped[19] = (byte) 0xff;
        mapped[20] = 10;
        mapped[23] = 7;
        assertEquals(new InetSocketAddress("10.0.0.7", 80), Handoff.peer(mapped, mapped.length),
                "an IPv4-mapped peer of a dual-stack socket is an IPv4 address");
        assertNull(Handoff.peer(new byte[] {1, 0, 0, 0}, 2), "a Unix peer has no address");
    }

    @Test
    void aDescriptorCrossesASocketPairAndArrivesCloseOnExec() throws Exception {
        int[] pair = new int[2];
        Native.check(Native.libc().socketpair(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0, pair),
                "socketpair");
        int[] pipe = new int[2];
        Native.check(Native.libc().pipe2(pipe, Native.O_CLOEXEC), "pipe2");
        try {
            PassedDescriptors passing = new PassedDescriptors();
            assertTrue(passing.send(pair[0], pipe[1], "hello".getBytes(StandardCharsets.US_ASCII), 0));
            byte[] into = new byte[PassedDescriptors.MAX_BYTES];
            PassedDescriptors.Received received = passing.receive(pair[1], into, 0);
            assertEquals(5, received.length());
            assertEquals("hello", new String(into, 0, 5, StandardCharsets.US_ASCII));
            assertTrue(received.fd() >= 0 && received.fd() != pipe[1], "a new descriptor for the same pipe");
            assertEquals(Native.FD_CLOEXEC, Native.libc().fcntl(received.fd(), Native.F_GETFD, 0) & Native.FD_CLOEXEC);
            Native.libc().write(received.fd(), new byte[] {42}, 1);
            Native.closeQuietly(received.fd());
            byte[] one = new byte[1];
            assertEquals(1, Native.libc().read(pipe[0], one, 1));
            assertEquals(42, one[0]);
            assertTrue(passing.send(pair[0], -1, new byte[] {Handoff.TAKEN}, 0));
            PassedDescriptors.Received answer = passing.receive(pair[1], into, 0);
            assertEquals(1, answer.length());
            assertEquals(-1, answer.fd());
            Native.closeQuietly(pair[0]);
            pair[0] = -1;
            assertEquals(0, passing.receive(pair[1], into, 0).length(), "the end of the peer's socket");
            assertTrue(!passing.send(pair[1], pipe[1], new byte[] {1}, Native.MSG_DONTWAIT), "no peer: not sent");
        } finally {
            Native.closeQuietly(pair[0]);
            Native.closeQuietly(pair[1]);
            Native.closeQuietly(pipe[0]);
            Native.closeQuietly(pipe[1]);
        }
    }
}
