package prefork.clojure;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.Keyword;
import java.nio.file.Path;
import java.util.Map;
import prefork.Log;
import prefork.PreforkServer;
import prefork.manager.ControlPlane;

/**
 * The manager's way into Clojure, for the two things the Java core asks of it: checking that a Clojure handler
 * can be loaded (the launcher) and starting the nREPL control plane ({@code prefork.nrepl/start!}). With
 * {@link ClojureChild} (the worker's side) it is the Clojure adapter: no other Java class imports Clojure.
 */
public final class ClojureBridge {
    private ClojureBridge() {}

    /**
     * Checks that {@code symbol} ("my.ns/handle") names a var, loading its namespace in the manager (the
     * control plane evaluates redefinitions here first), through {@code loader} when it is not null (the context
     * class loader otherwise). Throws IllegalArgumentException, with one line, if not.
     */
    public static void requireHandler(String symbol, ClassLoader loader) {
        int slash = symbol.indexOf('/');
        if (slash < 1 || slash == symbol.length() - 1) {
            throw new IllegalArgumentException("handler \"" + symbol + "\" is not a fully-qualified symbol (my.ns/handle)");
        }
        Object found;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            if (loader != null) {
                thread.setContextClassLoader(loader);
            }
            found = Clojure.var("clojure.core", "requiring-resolve").invoke(Clojure.read(symbol));
        } catch (Exception e) { // Clojure throws checked ones too: FileNotFoundException for a missing namespace
            throw new IllegalArgumentException("handler \"" + symbol + "\" cannot be loaded: " + oneLine(e), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        if (found == null) {
            throw new IllegalArgumentException("handler \"" + symbol + "\" does not name a var");
        }
    }

    /** The exception's message and its causes', on one line ("Syntax error compiling at (my/ns.clj:3:1). | ..."). */
    private static String oneLine(Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
            if (text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : " | ").append(message);
            }
        }
        return text.toString().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Starts {@code prefork.nrepl/start!} for {@code server}; {@code socket} wins over {@code port}. Refused
     * connections and messages are logged to {@code log}; {@code allowRemote} also admits peers on other hosts.
     */
    public static ControlPlane startControlPlane(PreforkServer server, Integer port, String bind, Path socket,
            Log log, boolean allowRemote) {
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.nrepl"));
        IFn start = Clojure.var("prefork.nrepl", "start!");
        Object options = socket != null
                ? map("socket", socket.toString(), "log", log)
                : map("port", port, "bind", bind, "log", log, "allow-remote?", allowRemote);
        Object nrepl = start.invoke(server, options);
        Object bound = ((Map<?, ?>) nrepl).get(Keyword.intern("port"));
        return new ControlPlane(bound instanceof Number n ? n.intValue() : -1, (AutoCloseable) nrepl, socket);
    }

    /** Loads the control plane's Clojure code (seconds on a busy machine) without binding anything. */
    public static void loadControlPlane() {
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.nrepl"));
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.repl"));
    }

    /** Closes the listening socket of an nREPL server that {@link #startControlPlane} started; open connections stay. */
    public static void stopAccepting(Object nrepl) {
        Object socket = ((Map<?, ?>) nrepl).get(Keyword.intern("server-socket"));
        try {
            ((java.io.Closeable) socket).close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Object map(Object... keysAndValues) {
        Object[] items = keysAndValues.clone();
        for (int i = 0; i < items.length; i += 2) {
            items[i] = Keyword.intern((String) items[i]);
        }
        return clojure.lang.PersistentArrayMap.createAsIfByAssoc(items);
    }
}
