package prefork.manager;

import java.net.InetSocketAddress;
import prefork.ListenerSpec;

/**
 * Dispatch mode: the check a connection passes in the manager, after accept and before any worker is involved
 * ({@link Dispatcher#admit}). A connection it refuses is closed at once. Called on the dispatcher thread: it
 * must not block.
 */
@FunctionalInterface
interface PeerPolicy {
    /** Admits every connection (the default until allow/deny lists exist). */
    PeerPolicy ADMIT_ALL = (listener, peer) -> true;

    /** Whether the connection from {@code peer} (null for a Unix socket) on {@code listener} may be served. */
    boolean admits(ListenerSpec listener, InetSocketAddress peer);
}
