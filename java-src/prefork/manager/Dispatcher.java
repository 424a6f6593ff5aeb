package prefork.manager;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;
import prefork.ListenerSpec;
import prefork.Log;
import prefork.internal.Handoff;
import prefork.internal.Native;
import prefork.internal.PassedDescriptors;
import prefork.internal.Scoreboard;

/**
 * Dispatch mode's accept loop, on a thread of its own (never the supervisor's, which must not block): polls
 * every stream listener and every worker's dispatch socket; accepts a connection only when a worker can take
 * it, and sends it to the least recently used idle worker that is not stopping ({@link Handoff}). The manager
 * keeps its copy of each connection until the worker answers: taken (closed here), refused or the worker's
 * socket ended (passed to another worker). A worker that does not answer within dispatchTimeout is marked
 * unresponsive, and {@link HungWorkers} kills it. While no worker is idle, the dispatcher says so in the
 * scoreboard and the next worker to go idle wakes it (one byte); the overload policy
 * decides: queue (listeners are not polled: connections wait in the kernel's queue) or, once the supervisor
 * says every worker is busy at maxServers, close (accept and close at once).
 */
final class Dispatcher implements Runnable {
    private static final int POLL_MILLIS = 50;
    private final List<DispatchListener> listeners;
    private final Scoreboard scoreboard;
    private final DispatchTargets targets;
    private final PassedDescriptors passing = new PassedDescriptors();
    private final byte[] answer = new byte[PassedDescriptors.MAX_BYTES];
    private final Deque<Accepted> waiting = new ArrayDeque<>();
    private final boolean closeOnOverload;
    private volatile BooleanSupplier saturated = () -> false;
    private final long timeoutNanos;
    private final Log log;
    private final OverloadCount shed;
    private volatile PeerPolicy policy = PeerPolicy.ADMIT_ALL;
    private volatile boolean stopAccepting;
    private volatile boolean closing;
    private boolean listenersClosed;
    /** Whether the scoreboard says the dispatcher waits for an idle worker (see Scoreboard#dispatcherWaiting). */
    private boolean waitingForWorker;
    private Thread thread;

    /** A connection the manager accepted and still holds: its fd, where it came from, the message for it. */
    record Accepted(int fd, int listener, byte[] message) {}

    Dispatcher(List<DispatchListener> listeners, Scoreboard scoreboard, DispatchTargets targets,
            boolean closeOnOverload, long timeoutNanos, Log log) {
        this.listeners = List.copyOf(listeners);
        this.scoreboard = scoreboard;
        this.targets = targets;
        this.closeOnOverload = closeOnOverload;
        this.timeoutNanos = timeoutNanos;
        this.log = log;
        this.shed = new OverloadCount(log);
    }

    /** Where the overload policy learns that every worker is busy at maxServers (the supervisor's last turn). */
    void overloadSignal(BooleanSupplier saturatedNow) {
        this.saturated = saturatedNow;
    }

    /** Sets the check every connection passes before a worker is chosen; before {@link #start}. */
    void policy(PeerPolicy check) {
        this.policy = check;
    }

    void start(String name) {
        thread = new Thread(this, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops accepting; the dispatcher thread closes the listeners within one poll (50 ms). */
    void stopAccepting() {
        stopAccepting = true;
    }

    /** Ends the thread (waiting up to a second), then closes the listeners and every connection still held. */
    void close() {
        closing = true;
        stopAccepting = true;
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        listeners.forEach(DispatchListener::close);
        waiting.forEach(connection -> Native.closeQuietly(connection.fd()));
        waiting.clear();
        for (DispatchTargets.Target target : targets.snapshot()) {
            if (target.pending != null) {
                Native.closeQuietly(target.pending.fd());
                target.pending = null;
            }
        }
        targets.closeAll();
    }

    @Override
    public void run() {
        while (!closing) {
            try {
                turn();
            } catch (RuntimeException e) {
                log.log("dispatcher error (continuing): " + e);
            }
        }
    }

    private void turn() {
        if (stopAccepting && !listenersClosed) {
            listeners.forEach(DispatchListener::close);
            listenersClosed = true;
        }
        List<DispatchTargets.Target> known = targets.snapshot();
        checkDeadlines(known, System.nanoTime());
        while (!waiting.isEmpty() && place(waiting.peekFirst(), known)) {
            waiting.removeFirst();
        }
        boolean free = idlest(known) != null;
        if (!free && !waitingForWorker) {
            scoreboard.setDispatcherWaiting(true); // then look again: a worker idle since says nothing
            waitingForWorker = true;
            free = idlest(known) != null;
        }
        if (free && waitingForWorker) {
            scoreboard.setDispatcherWaiting(false);
            waitingForWorker = false;
        }
        boolean canTake = waiting.isEmpty() && free;
        boolean shedding = !canTake && closeOnOverload && saturated.getAsBoolean();
        boolean pollListeners = !listenersClosed && (canTake || shedding);
        int[] fds = new int[2 * (known.size() + (pollListeners ? listeners.size() : 0))];
        for (int i = 0; i < known.size(); i++) {
            fds[2 * i] = known.get(i).socket;
            fds[2 * i + 1] = Native.POLLIN;
        }
        for (int i = 0; pollListeners && i < listeners.size(); i++) {
            fds[2 * (known.size() + i)] = listeners.get(i).fd();
            fds[2 * (known.size() + i) + 1] = Native.POLLIN;
        }
        int ready = Native.libc().poll(fds, fds.length / 2, free ? POLL_MILLIS : POLL_MILLIS / 10);
        if (ready <= 0) {
            return;
        }
        for (int i = 0; i < known.size(); i++) {
            if ((fds[2 * i + 1] >>> 16) != 0) {
                readAnswer(known.get(i));
            }
        }
        for (int i = 0; pollListeners && i < listeners.size(); i++) {
            if ((fds[2 * (known.size() + i) + 1] >>> 16) != 0) {
                acceptFrom(i, known, !canTake);
            }
        }
    }

    /**
     * Accepts while a worker can take the connection (or, shedding, everything queued). A connection accepted
     * while shedding is closed only if still no worker is idle: one that went idle since the turn decided to
     * shed (during the poll) gets it.
     */
    private void acceptFrom(int index, List<DispatchTargets.Target> known, boolean shedding) {
        DispatchListener listener = listeners.get(index);
        while (shedding || idlest(known) != null) {
            byte[] address = new byte[128];
            int fd = listener.accept(address);
            if (fd < 0) {
                return;
            }
            if (shedding && idlest(known) == null) {
                Native.closeQuietly(fd);
                shed.closed(listener.spec());
                continue;
            }
            InetSocketAddress peer = Handoff.peer(address, address.length);
            if (!admit(listener.spec(), peer)) {
                Native.closeQuietly(fd);
                continue;
            }
            Accepted connection = new Accepted(fd, index,
                    new Handoff.Connection(index, listener.family(), peer).encode());
            if (!place(connection, known)) {
                waiting.addLast(connection);
                return;
            }
        }
    }

    /**
     * The one place where the manager decides about a peer before any worker sees it (allow/deny lists and
     * per-address limits plug in here, through {@link PeerPolicy}); a connection refused is closed.
     */
    private boolean admit(ListenerSpec listener, InetSocketAddress peer) {
        return policy.admits(listener, peer);
    }

    /** Sends {@code connection} to the idlest worker; false when none could take it (the caller keeps it). */
    private boolean place(Accepted connection, List<DispatchTargets.Target> known) {
        for (DispatchTargets.Target target = idlest(known); target != null; target = idlest(known)) {
            if (passing.send(target.socket, connection.fd(), connection.message(), Native.MSG_DONTWAIT)) {
                target.pending = connection;
                target.pendingSince = System.nanoTime();
                return true;
            }
            target.closed = true; // gone or shut down: its socket's end is noticed by the poll
        }
        return false;
    }

    /** The least recently active idle worker that is not stopping and holds no unanswered connection, or null. */
    private DispatchTargets.Target idlest(List<DispatchTargets.Target> known) {
        DispatchTargets.Target idlest = null;
        long oldest = 0;
        for (DispatchTargets.Target t : known) {
            if (!t.stopping && !t.closed && !t.unresponsive && t.pending == null
                    && scoreboard.state(t.slot) == Scoreboard.IDLE) {
                long active = scoreboard.lastActive(t.slot);
                if (idlest == null || active - oldest < 0) {
                    idlest = t;
                    oldest = active;
                }
            }
        }
        return idlest;
    }

    /** One answer from a worker, or the end of its socket: its pending connection is settled either way. */
    private void readAnswer(DispatchTargets.Target target) {
        PassedDescriptors.Received received;
        try {
            received = passing.receive(target.socket, answer, Native.MSG_DONTWAIT);
        } catch (java.io.IOException e) {
            if (e.getMessage().contains("errno " + Native.EAGAIN)) {
                return;
            }
            received = new PassedDescriptors.Received(0, -1);
        }
        Native.closeQuietly(received.fd());
        if (received.length() > 0 && answer[0] == Handoff.IDLE) {
            return; // a wake-up: the turn looks for idle workers anyway
        }
        Accepted pending = target.pending;
        target.pending = null;
        if (received.length() > 0 && answer[0] == Handoff.TAKEN && pending != null) {
            Native.closeQuietly(pending.fd());
            return;
        }
        if (pending != null) {
            waiting.addFirst(pending); // refused, or the worker died before answering: another worker gets it
        }
        target.closed = true;
        if (received.length() == 0) {
            targets.remove(target);
        }
    }

    /** A worker sitting on a connection past dispatchTimeout is marked unresponsive, once, with a log line. */
    private void checkDeadlines(List<DispatchTargets.Target> known, long now) {
        for (DispatchTargets.Target target : known) {
            if (target.pending != null && !target.unresponsive && now - target.pendingSince > timeoutNanos) {
                target.unresponsive = true;
                log.log(target + " did not take a connection within " + timeoutNanos / 1_000_000
                        + " ms (dispatchTimeout): hung; the connection goes to another worker once it is gone");
            }
        }
    }
}
