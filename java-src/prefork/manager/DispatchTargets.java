package prefork.manager;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import prefork.internal.Native;

/**
 * Dispatch mode: the workers that may be given connections, each with the manager's end of its dispatch socket.
 * The supervisor's side ({@link SpawnedWorkers}) adds a worker when it spawns it and marks it stopping before
 * it asks it to stop or kills it; the {@link Dispatcher} thread reads the set, keeps each worker's pending
 * connection, and removes a worker once its socket has ended (the process is gone). Thread-safe.
 */
final class DispatchTargets {
    /** One worker as the dispatcher sees it. */
    static final class Target {
        final int slot;
        final long pid;
        /** The manager's end of the worker's dispatch socket; closed by the dispatcher only. */
        final int socket;
        /** Set by the supervisor's side: asked to stop or killed; never given a connection again. */
        volatile boolean stopping;
        /** Set by the dispatcher: it did not take a connection within dispatchTimeout (the supervisor kills it). */
        volatile boolean unresponsive;
        /** Dispatcher thread only: the connection sent and not yet answered, or null. */
        Dispatcher.Accepted pending;
        /** Dispatcher thread only: when {@link #pending} was sent (System.nanoTime). */
        long pendingSince;
        /** Dispatcher thread only: a send failed or the worker refused; it gets nothing more. */
        boolean closed;

        Target(int slot, long pid, int socket) {
            this.slot = slot;
            this.pid = pid;
            this.socket = socket;
        }

        @Override
        public String toString() {
            return "worker slot=" + slot + " pid=" + pid;
        }
    }

    private final Map<Long, Target> byPid = new ConcurrentHashMap<>();

    /** A worker just spawned with the other end of {@code socket} on its fd 7. */
    void add(int slot, long pid, int socket) {
        byPid.put(pid, new Target(slot, pid, socket));
    }

    /** The worker is asked to stop, or killed: it gets no connection from now on. */
    void stopping(long pid) {
        Target target = byPid.get(pid);
        if (target != null) {
            target.stopping = true;
        }
    }

    /** Whether the worker failed to take a connection within dispatchTimeout (it is then hung). */
    boolean unresponsive(long pid) {
        Target target = byPid.get(pid);
        return target != null && target.unresponsive;
    }

    /** The workers known now, in no particular order. */
    List<Target> snapshot() {
        return List.copyOf(byPid.values());
    }

    /** Dispatcher thread: forgets a worker whose socket has ended and closes the manager's end. */
    void remove(Target target) {
        byPid.remove(target.pid, target);
        Native.closeQuietly(target.socket);
    }

    /** Closes every socket left (the pool is released); pending connections are the dispatcher's to close. */
    void closeAll() {
        byPid.values().forEach(target -> Native.closeQuietly(target.socket));
        byPid.clear();
    }
}
