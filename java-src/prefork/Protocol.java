package prefork;

/** A listener's transport: what a worker accepts or receives on, and how a request is framed. */
public enum Protocol {
    /** A TCP stream socket: one request per connection. */
    TCP,
    /** A UDP socket: one request per datagram. */
    UDP,
    /** A Unix domain stream socket at a path: one request per connection, no peer address. */
    UNIX;

    /** "tcp", "udp" or "unix": the name used in options and listener specs. */
    public String text() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether connections are streams (TCP or Unix) rather than datagrams. */
    public boolean stream() {
        return this != UDP;
    }

    /** The protocol named {@code text} ("tcp", "udp", "unix", any case); empty for anything else. */
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
