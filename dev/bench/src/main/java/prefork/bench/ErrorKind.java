package prefork.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;

/** What went wrong with one connection or request, as the load generator counts it. */
enum ErrorKind {
    REFUSED("refused"),
    RESET("reset"),
    TIMEOUT("timeout"),
    SHORT_REPLY("short reply"),
    WRONG_REPLY("wrong reply"),
    OTHER("other");

    final String label;

    ErrorKind(String label) {
        this.label = label;
    }

    /** Classifies an I/O failure: refused (TCP RST to SYN, ICMP port unreachable), reset (incl. broken pipe), timeout. */
    static ErrorKind of(IOException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase();
        if (e instanceof SocketTimeoutException) {
            return TIMEOUT;
        }
        if (e instanceof PortUnreachableException || (e instanceof ConnectException && message.contains("refused"))) {
            return REFUSED;
        }
        if (message.contains("reset") || message.contains("broken pipe")) {
            return RESET;
        }
        return OTHER;
    }
}
