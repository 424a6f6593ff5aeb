package prefork.worker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLSocket;
import prefork.internal.AccessLine;
import prefork.internal.AddressPolicy;
import prefork.internal.Scoreboard;

/**
 * What a worker does between accept and the child's first hook: the address policy (allow, deny, the
 * per-address limit, counted over the pool's scoreboard), then, on a TLS listener, the handshake. Made only
 * when the launch has either; a worker without both pays nothing per connection.
 */
final class Admission {
    /** A connection not admitted: closed already, with the access log's outcome and a reason. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final transient AccessLine.Outcome outcome;

        Refusal(AccessLine.Outcome outcome, String reason) {
            super(reason, null, false, false);
            this.outcome = outcome;
        }
    }

    private final AddressPolicy policy;
    private final TlsHandshakes tls;
    private final Scoreboard scoreboard;
    private final int slot;

    private Admission(AddressPolicy policy, TlsHandshakes tls, Scoreboard scoreboard, int slot) {
        this.policy = policy;
        this.tls = tls;
        this.scoreboard = scoreboard;
        this.slot = slot;
    }

    /** The admission of {@code launch}'s worker in {@code slot}, or null when it has no policy and no TLS. */
    static Admission of(WorkerLaunch launch, Scoreboard scoreboard, int slot) throws Exception {
        boolean open = launch.policy().open();
        if (open && launch.tls() == null) {
            return null;
        }
        return new Admission(open ? null : launch.policy(), launch.tls() == null ? null
                : TlsHandshakes.open(launch.tls()), scoreboard, slot);
    }

    /**
     * Admits {@code connection} from {@code remote} (null: a Unix socket): returns its TLS socket (handshake
     * done) on a TLS listener, else null. Throws Refusal after closing the connection when the policy refuses
     * it or the handshake fails.
     */
    SSLSocket admit(SocketChannel connection, InetSocketAddress remote) throws Refusal {
        if (policy != null && remote != null) {
            AddressPolicy.Verdict verdict = policy.check(remote.getAddress(),
                    address -> scoreboard.busyFrom(address, slot) + 1);
            if (verdict != AddressPolicy.Verdict.ADMIT) {
                close(connection);
                throw verdict == AddressPolicy.Verdict.REFUSED
                        ? new Refusal(AccessLine.Outcome.REFUSED, "not allowed by allow/deny")
                        : new Refusal(AccessLine.Outcome.LIMITED, "over maxConnectionsPerAddress");
            }
        }
        if (tls == null) {
            return null;
        }
        try {
            return tls.handshake(connection);
        } catch (IOException e) {
            close(connection);
            throw new Refusal(AccessLine.Outcome.FAILED, "TLS handshake with " + (remote == null ? "a client"
                    : remote.getAddress().getHostAddress() + " port " + remote.getPort()) + " failed: " + e.getMessage());
        }
    }

    /** Whether the allow/deny lists admit a datagram from {@code sender} (UDP has no per-address limit). */
    boolean admitsDatagram(InetSocketAddress sender) {
        return policy == null || sender == null || policy.allows(sender.getAddress());
    }

    private static void close(SocketChannel connection) {
        try {
            connection.close();
        } catch (IOException ignored) {
            // the peer is gone; nothing to do
        }
    }
}
