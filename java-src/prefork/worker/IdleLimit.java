package prefork.worker;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * The idleTimeout option in the worker: how long a connection may send nothing. Before the handler runs, the
 * worker waits at most that long for the first bytes (or EOF); a connection that sent nothing is closed
 * without calling the handler, so silent clients cannot hold workers until the busy timeout kills them. A TCP
 * connection also gets it as SO_TIMEOUT, so a handler's later reads through {@code conn()} fail with
 * SocketTimeoutException after that long without a byte. Zero: no limit. One per worker (not thread-safe).
 */
final class IdleLimit {
    private final long millis;
    private Selector selector;

    IdleLimit(long millis) {
        this.millis = millis;
    }

    /** The limit in milliseconds, 0 for none. */
    long millis() {
        return millis;
    }

    /** Waits until {@code connection} has something to read, at most the limit; false when it sent nothing. */
    boolean awaitFirstBytes(SocketChannel connection, boolean tcp) throws IOException {
        if (millis == 0) {
            return true;
        }
        if (tcp) {
            connection.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
        }
        if (selector == null) {
            selector = Selector.open();
        }
        connection.configureBlocking(false);
        SelectionKey key = connection.register(selector, SelectionKey.OP_READ);
        try {
            return selector.select(millis) > 0;
        } finally {
            key.cancel();
            selector.selectNow();
            connection.configureBlocking(true);
        }
    }
}
