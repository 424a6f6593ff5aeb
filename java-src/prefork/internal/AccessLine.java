package prefork.internal;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import prefork.Log;

/**
 * One line of the access log, both writers: a worker writes one per connection or datagram it handled
 * (outcome served, denied, failed, refused or limited), the manager one for a request its worker died in (killed). Fields are
 * {@code key=value}, space separated, after the time as the log writes it:
 * {@code 2026-12-01T20:44:30.123+01:00 pid=4242 listener=tcp://127.0.0.1:7000 client=127.0.0.1:51234
 * duration_ms=0.318 outcome=served}; {@code client=-} for a Unix socket, {@code [v6 address]:port} for IPv6.
 */
public final class AccessLine {
    /** How the request ended. */
    public enum Outcome {
        /** Handled; the handler returned. */
        SERVED,
        /** Refused by the child's allowDeny. */
        DENIED,
        /** A hook threw, or the TLS handshake failed; the connection was closed. */
        FAILED,
        /** Refused by the allow/deny lists before any hook ran. */
        REFUSED,
        /** Refused because its address had maxConnectionsPerAddress connections open already. */
        LIMITED,
        /** The worker was killed, or died, during the request. */
        KILLED;

        /** The word in the line: "served", ... */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private AccessLine() {}

    /** The line (no newline) for a request that began at {@code startMillis} and took {@code durationNanos}. */
    public static String format(long startMillis, long pid, String listener, InetSocketAddress client,
            long durationNanos, Outcome outcome) {
        StringBuilder line = new StringBuilder(160);
        line.append(OffsetDateTime.ofInstant(Instant.ofEpochMilli(startMillis), ZoneId.systemDefault()).format(Log.TIME))
                .append(" pid=").append(pid).append(" listener=").append(listener).append(" client=");
        if (client == null) {
            line.append('-');
        } else if (client.getAddress() instanceof Inet6Address) {
            line.append('[').append(client.getAddress().getHostAddress()).append("]:").append(client.getPort());
        } else {
            line.append(client.getAddress().getHostAddress()).append(':').append(client.getPort());
        }
        long micros = Math.max(0, durationNanos) / 1000;
        line.append(" duration_ms=").append(micros / 1000).append('.');
        long fraction = micros % 1000;
        line.append(fraction < 10 ? "00" : fraction < 100 ? "0" : "").append(fraction);
        return line.append(" outcome=").append(outcome.text()).toString();
    }
}
