package prefork;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import prefork.internal.ChildAccess;
import prefork.internal.Failures;

/**
 * What a worker process runs: extend it and implement {@link #processRequest()} (the model's BaseChild).
 * One instance lives in each worker JVM and handles that worker's connections one at a time, so instance
 * fields persist across requests. Every hook runs in the worker process; the order per connection is
 * {@link #postAccept()}, {@link #allowDeny()} (then {@link #requestDenied()} or {@link #processRequest()}),
 * close, {@link #postProcessRequest()}.
 *
 * <p>The subclass needs a public no-argument constructor. A hook that throws closes that connection, logs the
 * stack trace to the manager's log and the worker keeps serving; {@link #initialize()} throwing means the
 * worker cannot boot.
 */
public abstract class BaseChild {
    static {
        ChildAccess.install(new Access());
    }

    private Protocol protocol = Protocol.TCP;
    private int requestsHandled;
    private SocketChannel channel;
    /** The current connection's TLS socket on a TLS listener (handshake done), else null. */
    private SSLSocket tls;
    private byte[] payload;
    private DatagramChannel datagramChannel;
    private InetSocketAddress address;
    private volatile boolean closed;
    private boolean denied;
    private String error;
    private Map<String, String> properties = Map.of();

    /** Called once, when the worker has booted and before its first accept. Throwing fails the worker's boot. */
    protected void initialize() throws Exception {}

    /**
     * Called in the worker before it binds its own socket, in reusePort mode only (in the default mode the
     * manager binds; use {@link ManagerHooks#preBind()} there).
     */
    protected void preBind() throws Exception {}

    /** Called in the worker right after it has bound its own socket, in reusePort mode only. */
    protected void postBind() throws Exception {}

    /** Called after each accept, with {@link #conn()} and {@link #address()} set. */
    protected void postAccept() throws Exception {}

    /** Returns whether to serve this connection (default true); false calls {@link #requestDenied()} then closes. */
    protected boolean allowDeny() throws Exception {
        return true;
    }

    /** Called for a denied connection before it is closed: the place to send a refusal message. */
    protected void requestDenied() throws Exception {}

    /** Handles one connection (TCP: talk over {@link #conn()}) or one datagram (UDP: {@link #payload()}). */
    protected abstract void processRequest() throws Exception;

    /** Called after the connection has been closed, for per-request cleanup. */
    protected void postProcessRequest() throws Exception {}

    /**
     * Called once when the worker exits: after max requests, when the manager stops or retires it, or after
     * an error ({@link #error()} is then set). Not called when the worker is killed.
     */
    protected void shutdown() {}

    /**
     * Evaluates {@code code} in namespace {@code ns} inside this worker, between requests, and returns the
     * value to report to the manager. Called for {@link PreforkServer#evalInWorkers} and
     * {@link PreforkServer#redefine}. The default refuses: a Java child has no evaluator. Runs in the worker.
     */
    protected Object evaluate(String ns, String code) throws Exception {
        throw new UnsupportedOperationException(getClass().getName() + " does not evaluate code");
    }

    /**
     * What the manager is told about an evaluation that threw {@code failure} (see {@link EvalResult#details()}).
     * The default gives the root cause's class and message; a child with an evaluator may add
     * {@link EvalResult#LINE}, {@link EvalResult#COLUMN} and {@link EvalResult#EX_DATA}. Runs in the worker.
     */
    protected Map<String, String> evalFailureDetails(Throwable failure) {
        Throwable root = Failures.root(failure);
        return Map.of(EvalResult.ROOT_CLASS, root.getClass().getName(),
                EvalResult.ROOT_MESSAGE, root.getMessage() == null ? "" : root.getMessage());
    }

    /** The listener's protocol: TCP, UDP or UNIX. */
    public final Protocol protocol() {
        return protocol;
    }

    /** How many requests this worker has handled, not counting the current one. */
    public final int requestsHandled() {
        return requestsHandled;
    }

    /**
     * The current TCP connection (a blocking socket; on a TLS listener an {@link SSLSocket} whose handshake is
     * done, so its streams are plaintext), or null outside a request and for UDP and Unix sockets (use
     * {@link #channel()} there).
     */
    public final Socket conn() {
        if (tls != null) {
            return tls;
        }
        return channel == null || protocol == Protocol.UNIX ? null : channel.socket();
    }

    /**
     * The current TCP or Unix connection as a blocking channel, or null outside a request, for UDP, and on a TLS
     * listener (the channel carries the encrypted bytes: use {@link #conn()}).
     */
    public final SocketChannel channel() {
        return tls != null ? null : channel;
    }

    /**
     * The certificates the client presented on a TLS listener (its own first, then its issuers), verified
     * against tlsClientCa; empty when it sent none (tlsClientAuth none or want), outside a request and on
     * other listeners.
     */
    public final List<X509Certificate> peerCertificates() {
        if (tls == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : tls.getSession().getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            return List.copyOf(chain);
        } catch (SSLPeerUnverifiedException e) {
            return List.of();
        }
    }

    /** The current datagram's payload (UDP), or null. */
    public final byte[] payload() {
        return payload;
    }

    /** The peer's address for the current connection or datagram; null for a Unix socket. */
    public final InetSocketAddress address() {
        return address;
    }

    /** Whether this worker has been told to exit (it finishes the current request first). */
    public final boolean closed() {
        return closed;
    }

    /** The error that ended the worker, or null; set before {@link #shutdown()} runs. */
    public final String error() {
        return error;
    }

    /** A child property given to the server builder ({@code childProperty(name, value)}), or null. */
    public final String property(String name) {
        return properties.get(name);
    }

    /** UDP: sends {@code data} back to the sender of the current datagram (the model's resp_to). */
    public final void respTo(byte[] data) throws IOException {
        if (datagramChannel == null || address == null) {
            throw new IllegalStateException("respTo is for UDP requests only");
        }
        datagramChannel.send(ByteBuffer.wrap(data), address);
    }

    /**
     * Called only in the training run that makes the class data archive, instead of {@link #initialize()}:
     * load what boot would load, without side effects (default: nothing).
     */
    protected void prepareForArchive() throws Exception {}

    /**
     * Runs the per-connection hook chain for a connection from {@code remote} (null for a Unix socket); the
     * connection is always closed. Returns the failure, or null.
     */
    private Throwable serve(SocketChannel connection, InetSocketAddress remote, SSLSocket secured) {
        channel = connection;
        tls = secured;
        address = remote;
        Throwable failure = null;
        try {
            runHooks();
        } catch (Throwable e) {
            failure = Failures.survive(e);
        } finally {
            try {
                if (secured != null && !secured.isOutputShutdown()) {
                    // sends close_notify without waiting for the client's (SSLSocket.close() waits for it, up
                    // to SO_TIMEOUT: a client that keeps the connection open would hold the worker)
                    secured.shutdownOutput();
                }
            } catch (IOException ignored) {
                // the peer is gone; the close below is what matters
            }
            try {
                connection.close();
            } catch (IOException ignored) {
                // the peer is gone; nothing to do
            }
        }
        return finish(failure);
    }

    /** Runs the hook chain for one datagram received from {@code sender} on {@code socket}. */
    private Throwable serve(DatagramChannel socket, byte[] datagram, InetSocketAddress sender) {
        datagramChannel = socket;
        payload = datagram;
        address = sender;
        Throwable failure = null;
        try {
            runHooks();
        } catch (Throwable e) {
            failure = Failures.survive(e);
        }
        return finish(failure);
    }

    private void runHooks() throws Exception {
        denied = false;
        postAccept();
        if (allowDeny()) {
            processRequest();
        } else {
            denied = true;
            requestDenied();
        }
    }

    private Throwable finish(Throwable failure) {
        try {
            postProcessRequest();
        } catch (Throwable e) {
            if (failure == null) {
                failure = Failures.survive(e);
            }
        }
        channel = null;
        tls = null;
        payload = null;
        address = null;
        requestsHandled++;
        return failure;
    }

    /** The worker's way in (see {@link ChildAccess}). */
    private static final class Access extends ChildAccess {
        @Override
        public void bootstrap(BaseChild child, Protocol protocol, Map<String, String> properties) {
            child.protocol = protocol;
            child.properties = Map.copyOf(properties);
        }

        @Override
        public void initialize(BaseChild child) throws Exception {
            child.initialize();
        }

        @Override
        public void preBind(BaseChild child) throws Exception {
            child.preBind();
        }

        @Override
        public void postBind(BaseChild child) throws Exception {
            child.postBind();
        }

        @Override
        public void prepareForArchive(BaseChild child) throws Exception {
            child.prepareForArchive();
        }

        @Override
        public Throwable serve(BaseChild child, SocketChannel connection, InetSocketAddress remote, SSLSocket tls) {
            return child.serve(connection, remote, tls);
        }

        @Override
        public void protocol(BaseChild child, Protocol protocol) {
            child.protocol = protocol;
        }

        @Override
        public Throwable serve(BaseChild child, DatagramChannel socket, byte[] payload, InetSocketAddress sender) {
            return child.serve(socket, payload, sender);
        }

        @Override
        public boolean denied(BaseChild child) {
            return child.denied;
        }

        @Override
        public void markClosed(BaseChild child) {
            child.closed = true;
        }

        @Override
        public void shutdown(BaseChild child, String error) {
            child.closed = true;
            child.error = error;
            child.shutdown();
        }

        @Override
        public Object evaluate(BaseChild child, String ns, String code) throws Exception {
            return child.evaluate(ns, code);
        }

        @Override
        public Map<String, String> evalFailureDetails(BaseChild child, Throwable failure) {
            return child.evalFailureDetails(failure);
        }
    }
}
