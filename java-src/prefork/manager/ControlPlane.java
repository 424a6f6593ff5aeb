package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.Options;
import prefork.PreforkServer;

/**
 * The manager's nREPL control plane, started before any worker is spawned when the nreplPort or nreplSocket
 * option is set, and closed when the server has terminated. It needs Clojure and nREPL on the class path; the
 * Clojure side is {@code prefork.nrepl} (reached through {@code prefork.clojure.ClojureBridge}).
 */
public final class ControlPlane implements AutoCloseable {
    /** No control plane. */
    public static final ControlPlane NONE = new ControlPlane(-1, null, null);
    private final int port;
    private final AutoCloseable nrepl;
    private final Path socket;
    private boolean closed;
    private boolean released;

    /** @param port the bound TCP port, or -1 for a Unix socket; @param socket the Unix socket file, or null */
    public ControlPlane(int port, AutoCloseable nrepl, Path socket) {
        this.port = port;
        this.nrepl = nrepl;
        this.socket = socket;
    }

    /** Starts the control plane the options ask for; throws IOException naming the option when it cannot bind. */
    public static ControlPlane start(PreforkServer server, ServerConfig config) throws IOException {
        try {
            return prefork.clojure.ClojureBridge.startControlPlane(server, config.get(Options.NREPL_PORT),
                    config.get(Options.NREPL_BIND), config.get(Options.NREPL_SOCKET), config.log(),
                    config.get(Options.NREPL_ALLOW_REMOTE));
        } catch (NoClassDefFoundError e) {
            throw new IOException("the control plane needs Clojure and nREPL on the class path: " + e.getMessage(), e);
        } catch (Exception e) { // Clojure rethrows checked exceptions (an IOException) undeclared
            String what = config.get(Options.NREPL_SOCKET) != null ? "nreplSocket=" + config.get(Options.NREPL_SOCKET)
                    : "nreplPort=" + config.get(Options.NREPL_PORT);
            throw new IOException("cannot start the control plane on " + what + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = prefork.internal.Failures.root(e);
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** The bound TCP port, or -1. */
    public int port() {
        return port;
    }

    /**
     * Closes the listening socket only, and removes the socket file: connections open carry on (a ctl upgrade
     * gets its answer), a new manager can bind the same port or path. For an upgrade; never throws.
     */
    public synchronized void stopAccepting() {
        if (closed || released || nrepl == null) {
            return;
        }
        released = true;
        try {
            prefork.clojure.ClojureBridge.stopAccepting(nrepl);
        } catch (RuntimeException ignored) {
            // closing a listening socket: nothing more to do
        }
        deleteSocketFile();
    }

    /** Stops the nREPL server and removes its socket file (unless {@link #stopAccepting} did); idempotent, never throws. */
    @Override
    public synchronized void close() {
        if (closed || nrepl == null) {
            return;
        }
        closed = true;
        try {
            nrepl.close();
        } catch (Exception ignored) {
            // the server is going away anyway
        }
        if (!released) {
            deleteSocketFile();
        }
    }

    private void deleteSocketFile() {
        if (socket != null) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException ignored) {
                // a later start replaces a stale socket file
            }
        }
    }
}
