package prefork.internal;

import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import prefork.BaseChild;
import prefork.Protocol;

/**
 * How the worker JVM drives a {@link BaseChild} through the hooks and state that are not part of the child's
 * public API. BaseChild installs the one implementation when it is loaded; nothing else may.
 */
public abstract class ChildAccess {
    private static volatile ChildAccess instance;

    protected ChildAccess() {}

    /** Called once, by BaseChild's static initializer. */
    public static synchronized void install(ChildAccess access) {
        if (instance != null) {
            throw new IllegalStateException("ChildAccess is installed already");
        }
        instance = access;
    }

    /** The implementation BaseChild installed. */
    public static ChildAccess get() {
        if (instance == null) {
            try {
                Class.forName(BaseChild.class.getName(), true, BaseChild.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    public abstract void bootstrap(BaseChild child, Protocol protocol, Map<String, String> properties);

    public abstract void initialize(BaseChild child) throws Exception;

    public abstract void preBind(BaseChild child) throws Exception;

    public abstract void postBind(BaseChild child) throws Exception;

    /** The class data training run: loads what boot would load, without side effects. */
    public abstract void prepareForArchive(BaseChild child) throws Exception;

    /**
     * Runs the hook chain for one connection ({@code tls}: its TLS socket on a TLS listener, else null), then
     * closes it; returns the failure, or null.
     */
    public abstract Throwable serve(BaseChild child, SocketChannel connection, InetSocketAddress remote, SSLSocket tls);

    /** Dispatch mode: the protocol of the listener the next connection came from (TCP or UNIX). */
    public abstract void protocol(BaseChild child, Protocol protocol);

    /** Runs the hook chain for one datagram; returns the failure, or null. */
    public abstract Throwable serve(BaseChild child, DatagramChannel socket, byte[] payload, InetSocketAddress sender);

    /** Whether the child's allowDeny refused the last request. */
    public abstract boolean denied(BaseChild child);

    public abstract void markClosed(BaseChild child);

    /** Records the error that ends the worker and runs the child's shutdown hook. */
    public abstract void shutdown(BaseChild child, String error);

    public abstract Object evaluate(BaseChild child, String ns, String code) throws Exception;

    /** What the manager is told about an evaluation that threw {@code failure}: root class, message and more. */
    public abstract Map<String, String> evalFailureDetails(BaseChild child, Throwable failure);
}
