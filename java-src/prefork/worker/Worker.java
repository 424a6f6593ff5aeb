package prefork.worker;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;
import prefork.BaseChild;
import prefork.ListenerSpec;
import prefork.Protocol;
import prefork.internal.ChildAccess;
import prefork.internal.Failures;
import prefork.internal.Scoreboard;
import prefork.internal.WorkerFds;

/**
 * The entry point of a worker JVM. The manager starts it with the listening socket on fd 0, its output pipe on
 * 1 and 2, its control pipe on fd 3 ({@link WorkerControl}), the scoreboard on fd 4 and the reply pipe on fd 5
 * ({@link WorkerFds}), and the arguments {@link WorkerLaunch} writes. Exit status 0 after a normal stop,
 * {@link WorkerFds#EXIT_BOOT_FAILED} when it cannot boot.
 */
public final class Worker {
    private final int slot;
    private final long maxRequests;
    private final Scoreboard scoreboard;
    private final BaseChild child;
    private final ChildAccess access = ChildAccess.get();
    /** The listening socket or UDP socket; null in dispatch mode. */
    private final Channel listener;
    /** Dispatch mode: where connections come from; null otherwise. */
    private final DispatchedConnections dispatched;
    private final ReentrantLock requestLock;
    /** Null when the access log is off: then a request costs nothing more. */
    private final AccessLog accessLog;
    /** The idleTimeout in milliseconds (0 = none) of every TCP and TLS connection. */
    private final int idleMillis;
    /** What enforces idleMillis; null when it is 0, for UDP and Unix pools, or where it cannot run (SO_TIMEOUT then). */
    private final IdleWatch idleWatch;
    /** The address policy and TLS handshake before the child's hooks; null when there are neither. */
    private final Admission admission;
    private volatile boolean stopping;

    private Worker(WorkerLaunch.Instance launch, Scoreboard scoreboard, BaseChild child, Channel listener,
            ReentrantLock requestLock, Admission admission) throws IOException {
        this.slot = launch.slot();
        this.accessLog = AccessLog.open(launch.launch());
        this.maxRequests = launch.maxRequests();
        this.scoreboard = scoreboard;
        this.child = child;
        this.listener = listener;
        this.dispatched = launch.launch().dispatch() ? new DispatchedConnections() : null;
        this.requestLock = requestLock;
        this.idleMillis = (int) Math.min(Integer.MAX_VALUE, launch.launch().idleTimeoutMillis());
        this.admission = admission;
        this.idleWatch = idleMillis > 0 && (dispatched != null || launch.launch().listener().protocol().tcpSocket())
                ? startIdleWatch(idleMillis) : null;
    }

    /** The idle watch of the calling (serving) thread, or null (then SO_TIMEOUT) when this kernel cannot run it. */
    private static IdleWatch startIdleWatch(long idleMillis) {
        try {
            return IdleWatch.start(idleMillis);
        } catch (IOException e) {
            log("idleTimeout falls back to SO_TIMEOUT: " + e.getMessage());
            return null;
        }
    }

    public static void main(String[] args) throws Exception {
        WorkerLaunch.Instance launch = WorkerLaunch.parse(args);
        Scoreboard scoreboard;
        try {
            scoreboard = Scoreboard.map(Path.of(WorkerFds.path(WorkerFds.SCOREBOARD)));
        } catch (IOException | RuntimeException e) {
            log("cannot map the scoreboard: " + e);
            System.exit(WorkerFds.EXIT_BOOT_FAILED);
            return;
        }
        scoreboard.claim(launch.slot(), ProcessHandle.current().pid());
        WorkerControl control = new WorkerControl();
        control.watch();
        WorkerSignals.install(control);
        Worker worker;
        try {
            worker = boot(launch, scoreboard, control);
            control.replayRecorded(worker.child);
        } catch (WorkerControl.ReplayFailure e) {
            log(e.getMessage());
            bootFailed(launch, scoreboard, e.getMessage());
            return;
        } catch (Throwable e) {
            String message = "cannot boot " + launch.launch().childClass() + ": " + describe(e);
            log(message + "\n" + stackTrace(e));
            bootFailed(launch, scoreboard, message);
            return;
        }
        control.serving(worker, worker.child);
        worker.run();
    }

    /** Leaves why in the scoreboard slot, for the manager's log, and exits with EXIT_BOOT_FAILED. */
    private static void bootFailed(WorkerLaunch.Instance launch, Scoreboard scoreboard, String message) {
        scoreboard.setMessage(launch.slot(), message);
        scoreboard.setState(launch.slot(), Scoreboard.BOOT_FAILED);
        System.exit(WorkerFds.EXIT_BOOT_FAILED);
    }

    private static Worker boot(WorkerLaunch.Instance instance, Scoreboard scoreboard, WorkerControl control)
            throws Exception {
        WorkerLaunch launch = instance.launch();
        ListenerSpec spec = launch.listener();
        BaseChild child = (BaseChild) Class.forName(launch.childClass()).getConstructor().newInstance();
        ChildAccess access = ChildAccess.get();
        access.bootstrap(child, spec.protocol(), launch.childProperties());
        if (launch.dispatch()) {
            access.initialize(child);
            // the dispatcher has applied the address policy, and TLS is refused in this mode: nothing to admit
            return new Worker(instance, scoreboard, child, null, control.requestLock(), null);
        }
        Channel listener = launch.reusePortBacklog() > 0
                ? bindOwnSocket(child, spec, launch.reusePortBacklog())
                : System.inheritedChannel();
        boolean fits = spec.protocol() == Protocol.UDP ? listener instanceof DatagramChannel
                : listener instanceof ServerSocketChannel;
        if (!fits) {
            throw new IOException("fd 0 is not a " + spec.protocol() + " socket but " + listener);
        }
        Admission admission = Admission.of(launch, scoreboard, instance.slot());
        access.initialize(child);
        return new Worker(instance, scoreboard, child, listener, control.requestLock(), admission);
    }

    /**
     * Reuse-port mode: the worker binds and listens on a SO_REUSEPORT socket of its own, between the bind hooks.
     * The socket has the family of the address (JDK 18 and later open INET6 sockets by default, even for an IPv4
     * address, and those do not share a port with the manager's IPv4 socket the way the model's do).
     */
    private static ServerSocketChannel bindOwnSocket(BaseChild child, ListenerSpec spec, int backlog) throws Exception {
        ChildAccess.get().preBind(child);
        ServerSocketChannel server = ServerSocketChannel.open(spec.host() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(new InetSocketAddress(spec.host(), spec.port()), backlog);
        ChildAccess.get().postBind(child);
        return server;
    }

    private void run() {
        scoreboard.setState(slot, Scoreboard.IDLE);
        String error = null;
        try {
            if (dispatched != null) {
                serveDispatched();
            } else if (listener instanceof DatagramChannel datagrams) {
                serveDatagrams(datagrams);
            } else {
                serveConnections((ServerSocketChannel) listener);
            }
        } catch (IOException e) {
            if (!stopping) {
                error = describe(e);
                log("worker stops: " + error);
            }
        }
        scoreboard.setState(slot, Scoreboard.STOPPING);
        try {
            access.shutdown(child, error);
        } catch (RuntimeException e) {
            log("shutdown hook failed:\n" + stackTrace(e));
        }
        System.exit(0);
    }

    /**
     * The serving loops keep their bodies in methods of their own ({@link #acceptAndServe},
     * {@link #receiveAndServe}, {@link #takeAndServe}): the JIT compiles a method after a few hundred calls, but a
     * loop body only by on-stack replacement, after tens of thousands of iterations, and until then each
     * connection or datagram ran its turn of the loop in the interpreter.
     */
    private void serveConnections(ServerSocketChannel server) throws IOException {
        while (!done()) {
            acceptAndServe(server);
        }
    }

    private void acceptAndServe(ServerSocketChannel server) throws IOException {
        SocketChannel connection = server.accept();
        InetSocketAddress remote = connection.getRemoteAddress() instanceof InetSocketAddress inet ? inet : null;
        serve(connection, remote, scoreboard.markBusy(slot, remote));
    }

    /** Dispatch mode: connections from the manager, until it is gone or this worker stops. */
    private void serveDispatched() throws IOException {
        if (scoreboard.dispatcherWaiting()) {
            dispatched.idle(); // a new worker, idle from now on
        }
        while (!done() && takeAndServe()) {
            // one dispatched connection per turn
        }
    }

    /** Dispatch mode: serves the next connection; false when the manager is gone or this worker stops. */
    private boolean takeAndServe() throws IOException {
        long[] start = new long[1];
        DispatchedConnections.Taken taken = dispatched.next(connection ->
                start[0] = scoreboard.markBusy(slot, connection.peer(), connection.listener()));
        if (taken == null) {
            return false;
        }
        InetSocketAddress remote = taken.connection().peer();
        access.protocol(child, remote == null ? Protocol.UNIX : Protocol.TCP);
        serve(taken.channel(), remote, start[0]);
        return true;
    }

    /**
     * One connection, marked busy at {@code start}: admission (the address policy, the TLS handshake), the hook
     * chain, then the slot is idle again. TCP and TLS reads are bounded by the idleTimeout ({@link IdleWatch}).
     */
    private void serve(SocketChannel connection, InetSocketAddress remote, long start) throws IOException {
        boolean watched = remote != null && idleWatch != null;
        if (remote != null && idleWatch == null && idleMillis > 0) {
            connection.socket().setSoTimeout(idleMillis); // no IdleWatch here: reads fail after idleMillis
        }
        SSLSocket tls = null;
        if (admission != null) {
            try {
                tls = admission.admit(connection, remote);
            } catch (Admission.Refusal refusal) {
                refused(start, remote, refusal);
                return;
            }
        }
        requestLock.lock();
        try {
            if (watched) {
                idleWatch.begin(connection);
            }
            Throwable failure;
            try {
                failure = access.serve(child, connection, remote, tls);
            } finally {
                if (watched) {
                    idleWatch.end();
                }
            }
            report(failure, watched && idleWatch.closedIdle(connection));
            scoreboard.markIdle(slot, child.requestsHandled());
            wakeDispatcher();
            if (accessLog != null) {
                accessLog.record(start, remote, failure, access.denied(child));
            }
        } finally {
            requestLock.unlock();
        }
    }

    /**
     * A connection the admission refused (and closed): no hook ran and it does not count as a request. A failed
     * TLS handshake is logged (one line); refusals by the address policy only reach the access log.
     */
    private void refused(long start, InetSocketAddress remote, Admission.Refusal refusal) throws IOException {
        if (refusal.outcome == prefork.internal.AccessLine.Outcome.FAILED) {
            log(refusal.getMessage());
        }
        scoreboard.markIdle(slot, child.requestsHandled());
        wakeDispatcher();
        if (accessLog != null) {
            accessLog.record(start, remote, refusal.outcome);
        }
    }

    /** Dispatch mode: tells a dispatcher that waits for an idle worker that this one is idle again. */
    private void wakeDispatcher() throws IOException {
        if (dispatched != null && scoreboard.dispatcherWaiting()) {
            dispatched.idle();
        }
    }

    private void serveDatagrams(DatagramChannel socket) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        while (!done()) {
            receiveAndServe(socket, buffer);
        }
    }

    private void receiveAndServe(DatagramChannel socket, ByteBuffer buffer) throws IOException {
        buffer.clear();
        InetSocketAddress sender = (InetSocketAddress) socket.receive(buffer);
        if (admission != null && !admission.admitsDatagram(sender)) {
            if (accessLog != null) {
                accessLog.record(System.nanoTime(), sender, prefork.internal.AccessLine.Outcome.REFUSED);
            }
            return;
        }
        buffer.flip();
        byte[] payload = new byte[buffer.remaining()];
        buffer.get(payload);
        long start = scoreboard.markBusy(slot, sender);
        requestLock.lock();
        try {
            Throwable failure = access.serve(child, socket, payload, sender);
            report(failure);
            scoreboard.markIdle(slot, child.requestsHandled());
            if (accessLog != null) {
                accessLog.record(start, sender, failure, access.denied(child));
            }
        } finally {
            requestLock.unlock();
        }
    }

    private boolean done() {
        return stopping || (maxRequests > 0 && child.requestsHandled() >= maxRequests);
    }

    private void report(Throwable failure) {
        report(failure, false);
    }

    /** Logs a request's failure: one line for an idle connection ({@code closedIdle}: by IdleWatch), else the trace. */
    private void report(Throwable failure, boolean closedIdle) {
        if (failure == null) {
            return;
        }
        if (closedIdle || Failures.root(failure) instanceof SocketTimeoutException) {
            log("connection idle for " + idleMillis + " ms (idleTimeout) while the handler read: closed");
        } else {
            log("request failed, connection closed:\n" + stackTrace(failure));
        }
    }

    /**
     * Stops accepting now and exits after the current request, if any. A busy UDP worker keeps its socket
     * until the request is done (respTo needs it). Closing the inherited socket sends fds 0-2 to /dev/null
     * (the JDK does that), so the worker's last output may not reach the manager's log.
     */
    void stop() {
        stopping = true;
        access.markClosed(child);
        boolean idle = scoreboard.compareAndSetState(slot, Scoreboard.IDLE, Scoreboard.STOPPING);
        if (dispatched != null) {
            dispatched.stop();
        } else if (idle || !(listener instanceof DatagramChannel)) {
            try {
                System.err.flush();
                listener.close();
            } catch (IOException e) {
                Runtime.getRuntime().halt(0);
            }
        }
    }

    /** Writes to stderr, the worker's own pipe: the manager logs each line as "[worker PID] ...". */
    static void log(String message) {
        System.err.println(message);
        System.err.flush();
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while ((root instanceof InvocationTargetException || root instanceof ExceptionInInitializerError)
                && root.getCause() != null) {
            root = root.getCause();
        }
        return root.toString();
    }

    private static String stackTrace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString().stripTrailing();
    }
}
