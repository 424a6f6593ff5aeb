package prefork;

/** A listener's transport: what a worker accepts or receives on, and how a request is framed. */
public enum Protocol {
    /** A TCP stream socket: one request per connection. */
    TCP,
    /** A UDP socket: one request per datagram. */
    UDP,
    /** A Unix domain stream socket at a path: one request per connection, no peer address. */
    UNIX,
    /** TLS over a TCP stream socket: the worker does the handshake, the handler sees plaintext. */
    TLS;

    /** "tcp", "udp", "unix" or "tls": the name used in options and listener specs. */
    public String text() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether connections are streams (TCP or Unix) rather than datagrams. */
    public boolean stream() {
        return this != UDP;
    }

    /** Whether the socket is a TCP socket (TCP, or TLS over TCP). */
    public boolean tcpSocket() {
        return this == TCP || this == TLS;
    }

    /** The protocol named {@code text} ("tcp", "udp", "unix", "tls", any case); empty for anything else. */
    public static java.util.Optional<Protocol> of(String text) {
        for (Protocol protocol : values()) {
            if (protocol.text().equalsIgnoreCase(text)) {
                return java.util.Optional.of(protocol);
            }
        }
        return java.util.Optional.empty();
    }

    @Override
    public String toString() {
        return text();
    }
}
