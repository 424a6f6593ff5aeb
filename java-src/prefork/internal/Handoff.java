package prefork.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Dispatch mode's messages on a worker's dispatch socket (a SOCK_SEQPACKET pair, {@link WorkerFds#DISPATCH}),
 * both ends. The manager sends one {@link Connection} per accepted connection, with the connection's
 * descriptor attached ({@link PassedDescriptors}); the worker answers each with one byte, {@link #TAKEN}
 * (it owns the descriptor now) or {@link #REFUSED} (it is stopping and closed its copy; the manager passes
 * the connection on). The manager keeps its own copy until it has the answer, so a connection is never lost
 * to a worker that dies before answering, and never handed out twice.
 */
public final class Handoff {
    public static final byte TAKEN = 'T', REFUSED = 'R';
    /** A worker went idle while the dispatcher waited for one (see Scoreboard#dispatcherWaiting): a wake-up only. */
    public static final byte IDLE = 'I';
    /** The socket family of a connection, as the worker's channel needs it. */
    public static final byte INET = 4, INET6 = 6, UNIX = 1;

    private Handoff() {}

    /**
     * One passed connection: the index of the listener it came from (in the manager's order), the socket's
     * family, and the peer (null for a Unix socket).
     */
    public record Connection(int listener, byte family, InetSocketAddress peer) {
        public Connection {
            if (listener < 0 || listener > 255) {
                throw new IllegalArgumentException("listener index out of range: " + listener);
            }
        }

        /** listener, family, port (2 bytes), address length, address bytes. */
        public byte[] encode() {
            byte[] address = peer == null ? new byte[0] : peer.getAddress().getAddress();
            int port = peer == null ? 0 : peer.getPort();
            byte[] out = new byte[5 + address.length];
            out[0] = (byte) listener;
            out[1] = family;
            out[2] = (byte) (port >>> 8);
            out[3] = (byte) port;
            out[4] = (byte) address.length;
            System.arraycopy(address, 0, out, 5, address.length);
            return out;
        }

        /** Reads what {@link #encode} wrote ({@code length} bytes of {@code in}); throws IllegalArgumentException. */
        public static Connection decode(byte[] in, int length) {
            if (length < 5 || length != 5 + (in[4] & 0xff)) {
                throw new IllegalArgumentException("not a handoff message (" + length + " bytes)");
            }
            int port = ((in[2] & 0xff) << 8) | (in[3] & 0xff);
            InetSocketAddress peer = null;
            if (in[4] != 0) {
                byte[] address = java.util.Arrays.copyOfRange(in, 5, length);
                try {
                    peer = new InetSocketAddress(InetAddress.getByAddress(address), port);
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("bad peer address of " + address.length + " bytes");
                }
            }
            return new Connection(in[0] & 0xff, in[1], peer);
        }
    }

    /**
     * The peer in a sockaddr as accept returned it ({@code length} bytes): null for AF_UNIX (and anything but
     * AF_INET and AF_INET6). An IPv4-mapped IPv6 address comes back as an IPv4 one.
     */
    public static InetSocketAddress peer(byte[] sockaddr, int length) {
        int family = (sockaddr[0] & 0xff) | ((sockaddr[1] & 0xff) << 8);
        int port = ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
        byte[] address;
        if (family == Native.AF_INET && length >= 8) {
            address = java.util.Arrays.copyOfRange(sockaddr, 4, 8);
        } else if (family == Native.AF_INET6 && length >= 24) {
            address = java.util.Arrays.copyOfRange(sockaddr, 8, 24);
        } else {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            return null; // cannot happen for 4 or 16 bytes
        }
    }
}
