package prefork;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import prefork.internal.Scoreboard;
import prefork.internal.WorkerContract;

/**
 * Internal: the entry point of a worker JVM. The manager starts it with the listening socket on fd 0, its
 * output pipe on 1 and 2, a control pipe on fd 3 (see {@link WorkerControl}), the scoreboard on fd 4 and the
 * reply pipe on fd 5. Arguments: child class, slot, max requests, listener ({@link ListenerSpec}), mode
 * ("inherited", or "reuseport:BACKLOG" to bind its own socket), replay file (or ""), then name=value child
 * properties. Exit status 0 after a normal stop, {@link WorkerContract#EXIT_BOOT_FAILED} when it cannot boot.
 */
public final class Worker {
    private final int slot;
    private final long maxRequests;
    private final Scoreboard scoreboard;
    private final BaseChild child;
    private final Channel listener;
    private final ReentrantLock requestLock;
    private volatile boolean stopping;

    private Worker(int slot, long maxRequests, Scoreboard scoreboard, BaseChild child, Channel listener,
            ReentrantLock requestLock) {
        this.requestLock = requestLock;
        this.slot = slot;
        this.maxRequests = maxRequests;
        this.scoreboard = scoreboard;
        this.child = child;
        this.listener = listener;
    }

    /** First argument of the training JVM that makes the class data archive (see {@link ClassDataArchive}). */
    static final String TRAIN = "--train";

    public static void main(String[] args) throws Exception {
        if (args[0].equals(TRAIN)) {
            train(args);
            return;
        }
        int slot = Integer.parseInt(args[1]);
        Scoreboard scoreboard;
        try {
            scoreboard = Scoreboard.map(Path.of("/proc/self/fd/" + WorkerContract.SCOREBOARD));
        } catch (IOException | RuntimeException e) {
            log("cannot map the scoreboard: " + e);
            System.exit(WorkerContract.EXIT_BOOT_FAILED);
            return;
        }
        scoreboard.claim(slot, ProcessHandle.current().pid());
        WorkerControl control = new WorkerControl();
        control.watch();
        Worker worker;
        try {
            worker = boot(args, slot, scoreboard, control);
        } catch (Throwable e) {
            String message = "cannot boot " + args[0] + ": " + describe(e);
            log(message + "\n" + stackTrace(e));
            scoreboard.setMessage(slot, message);
            scoreboard.setState(slot, Scoreboard.BOOT_FAILED);
            System.exit(WorkerContract.EXIT_BOOT_FAILED);
            return;
        }
        control.booted(worker, worker.child, args[5].isEmpty() ? null : Path.of(args[5]));
        worker.run();
    }

    /**
     * Loads the child and what it needs at boot, without initialize: runs the scoreboard, a control thread and
     * a loopback connection through the same classes a worker uses, then exits normally (the JVM then writes
     * the archive).
     */
    private static void train(String[] args) throws Exception {
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        BaseChild child = (BaseChild) Class.forName(args[1]).getConstructor().newInstance();
        child.bootstrap("tcp", properties);
        child.prepareForArchive();
        Path file = Files.createTempFile("prefork-training", ".scoreboard");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            Files.write(file, new byte[Scoreboard.SLOT_BYTES]);
            Scoreboard scoreboard = Scoreboard.map(file, Scoreboard.SLOT_BYTES);
            scoreboard.claim(0, ProcessHandle.current().pid());
            scoreboard.setState(0, Scoreboard.IDLE);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread thread = new Thread(new WorkerControl()::requestLock, "prefork-training");
            thread.start();
            thread.join();
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel connection = server.accept()) {
                scoreboard.markBusy(0, ((InetSocketAddress) connection.getRemoteAddress()).getPort());
                Channels.newOutputStream(client).write('\n');
                new BufferedReader(new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8)).readLine();
                scoreboard.markIdle(0, 1);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.exit(0);
    }

    private static Worker boot(String[] args, int slot, Scoreboard scoreboard, WorkerControl control)
            throws Exception {
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 6; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        ListenerSpec spec = ListenerSpec.parse(args[3]);
        Class<?> type = Class.forName(args[0]);
        BaseChild child = (BaseChild) type.getConstructor().newInstance();
        child.bootstrap(spec.protocol(), properties);
        Channel listener = args[4].startsWith("reuseport:")
                ? bindOwnSocket(child, spec, Integer.parseInt(args[4].substring("reuseport:".length())))
                : System.inheritedChannel();
        if (spec.udp() ? !(listener instanceof DatagramChannel) : !(listener instanceof ServerSocketChannel)) {
            throw new IOException("fd 0 is not a " + spec.protocol() + " socket but " + listener);
        }
        child.initialize();
        return new Worker(slot, Long.parseLong(args[2]), scoreboard, child, listener, control.requestLock());
    }

    /** Reuse-port mode: the worker binds and listens on a SO_REUSEPORT socket of its own, between the bind hooks. */
    private static ServerSocketChannel bindOwnSocket(BaseChild child, ListenerSpec spec, int backlog) throws Exception {
        child.preBind();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        server.bind(new InetSocketAddress(spec.host(), spec.port()), backlog);
        child.postBind();
        return server;
    }

    private void run() {
        scoreboard.setState(slot, Scoreboard.IDLE);
        String error = null;
        try {
            if (listener instanceof DatagramChannel datagrams) {
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
        child.markClosed();
        child.setError(error);
        try {
            child.shutdown();
        } catch (RuntimeException e) {
            log("shutdown hook failed:\n" + stackTrace(e));
        }
        System.exit(0);
    }

    private void serveConnections(ServerSocketChannel server) throws IOException {
        while (!done()) {
            SocketChannel connection = server.accept();
            InetSocketAddress remote = connection.getRemoteAddress() instanceof InetSocketAddress inet ? inet : null;
            scoreboard.markBusy(slot, remote == null ? 0 : remote.getPort());
            requestLock.lock();
            try {
                report(child.serve(connection, remote));
                scoreboard.markIdle(slot, child.requestsHandled());
            } finally {
                requestLock.unlock();
            }
        }
    }

    private void serveDatagrams(DatagramChannel socket) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        while (!done()) {
            buffer.clear();
            InetSocketAddress sender = (InetSocketAddress) socket.receive(buffer);
            buffer.flip();
            byte[] payload = new byte[buffer.remaining()];
            buffer.get(payload);
            scoreboard.markBusy(slot, sender.getPort());
            requestLock.lock();
            try {
                report(child.serve(socket, payload, sender));
                scoreboard.markIdle(slot, child.requestsHandled());
            } finally {
                requestLock.unlock();
            }
        }
    }

    private boolean done() {
        return stopping || (maxRequests > 0 && child.requestsHandled() >= maxRequests);
    }

    private void report(Throwable failure) {
        if (failure != null) {
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
        child.markClosed();
        boolean idle = scoreboard.compareAndSetState(slot, Scoreboard.IDLE, Scoreboard.STOPPING);
        if (idle || !(listener instanceof DatagramChannel)) {
            try {
                System.err.flush();
                listener.close();
            } catch (IOException e) {
                Runtime.getRuntime().halt(0);
            }
        }
    }

    static void log(String message) {
        String prefix = "[worker " + ProcessHandle.current().pid() + "] ";
        System.err.println(prefix + message.replace("\n", "\n" + prefix));
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
