package prefork.worker;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import prefork.internal.TlsMaterial;
import prefork.internal.TlsSettings;

/**
 * The server side of TLS in a worker of a tls:// listener: made at boot from the files of {@link TlsSettings}
 * (read again by every new worker, so a reload picks up new files), it turns each accepted connection into an
 * {@link SSLSocket} whose handshake is complete. A handshake has a deadline: a thread of its own closes the
 * connection when it is not done in time, so a client that stalls (or drips bytes) never holds the worker
 * longer. Only workers of TLS listeners load this class and the JDK's TLS.
 */
final class TlsHandshakes {
    private final SSLSocketFactory factory;
    private final String clientAuth;
    private final long timeoutMillis;
    /** One thread; a cancelled deadline leaves its queue at once (else 10 s of them would pile up under load). */
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, task -> {
        Thread thread = new Thread(task, "prefork-tls-handshake-deadline");
        thread.setDaemon(true);
        return thread;
    });

    private TlsHandshakes(SSLSocketFactory factory, String clientAuth, long timeoutMillis) {
        this.factory = factory;
        this.clientAuth = clientAuth;
        this.timeoutMillis = timeoutMillis;
        deadlines.setRemoveOnCancelPolicy(true);
    }

    /** Loads the key material (throws naming the option of a bad file) and makes the TLS context. */
    static TlsHandshakes open(TlsSettings settings) throws Exception {
        String password = System.getenv(TlsSettings.PASSWORD_VARIABLE);
        TlsMaterial material = TlsMaterial.load(settings, password == null ? "" : password);
        return new TlsHandshakes(material.context().getSocketFactory(), settings.clientAuth(),
                settings.handshakeTimeoutMillis());
    }

    /**
     * Layers TLS over {@code connection} (closing the result closes it) and completes the handshake, asking for
     * a client certificate as configured. Throws IOException when the handshake fails or does not finish
     * within the timeout (then the connection has been closed).
     */
    SSLSocket handshake(SocketChannel connection) throws IOException {
        Socket raw = connection.socket();
        SSLSocket tls = (SSLSocket) factory.createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(),
                true);
        tls.setUseClientMode(false);
        if (clientAuth.equals("need")) {
            tls.setNeedClientAuth(true);
        } else if (clientAuth.equals("want")) {
            tls.setWantClientAuth(true);
        }
        AtomicBoolean settled = new AtomicBoolean();
        var deadline = deadlines.schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                closeQuietly(connection);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            tls.startHandshake();
        } catch (IOException e) {
            if (settled.compareAndSet(false, true)) {
                throw e;
            }
            throw timedOut();
        } finally {
            deadline.cancel(false);
        }
        if (!settled.compareAndSet(false, true)) {
            throw timedOut();
        }
        return tls;
    }

    private SocketTimeoutException timedOut() {
        return new SocketTimeoutException("not complete within " + timeoutMillis + " ms (tlsHandshakeTimeout)");
    }

    private static void closeQuietly(SocketChannel connection) {
        try {
            connection.close();
        } catch (IOException ignored) {
            // closing is all we want
        }
    }
}
