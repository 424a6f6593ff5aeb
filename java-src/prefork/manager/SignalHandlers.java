package prefork.manager;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import prefork.ManagerHooks;
import prefork.PreforkServer;

/**
 * Installs the manager's signal handlers (only with {@code handleSignals(true)}). Each handler only calls its
 * hook ({@link ManagerHooks}), and the default hooks only enqueue work for the supervisor: HUP reloads, INT and
 * TERM stop gracefully (a second one stops at once), TTIN and TTOU raise or lower minServers and maxServers by
 * one (as Net::Server does), USR1 reopens the log file. QUIT and USR2 belong to HotSpot and are left alone.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported, exported on every JDK) is reached through method handles:
 * naming it in source makes javac warn that it is internal proprietary API, a warning no flag silences on
 * every JDK.
 */
public final class SignalHandlers {
    private static final Class<?> SIGNAL = load("sun.misc.Signal");
    private static final Class<?> HANDLER = load("sun.misc.SignalHandler");
    private static final MethodHandle NEW_SIGNAL = find(() -> MethodHandles.publicLookup()
            .findConstructor(SIGNAL, MethodType.methodType(void.class, String.class)));
    private static final MethodHandle HANDLE = find(() -> MethodHandles.publicLookup()
            .findStatic(SIGNAL, "handle", MethodType.methodType(HANDLER, SIGNAL, HANDLER)));

    private SignalHandlers() {}

    /** Installs the handlers; returns what puts the previous ones back (run it once the server has stopped). */
    public static Runnable install(PreforkServer server, ManagerHooks hooks) {
        Map<String, Consumer<PreforkServer>> handlers = new LinkedHashMap<>();
        handlers.put("HUP", hooks::hupHandler);
        handlers.put("INT", hooks::intHandler);
        handlers.put("TERM", hooks::termHandler);
        handlers.put("TTIN", hooks::ttinHandler);
        handlers.put("TTOU", hooks::ttouHandler);
        handlers.put("USR1", hooks::usr1Handler);
        List<Object[]> previous = new ArrayList<>();
        handlers.forEach((name, handler) -> {
            Object signal = invoke(NEW_SIGNAL, name);
            previous.add(new Object[] {signal, invoke(HANDLE, signal, handlerCalling(() -> handler.accept(server)))});
        });
        return () -> previous.forEach(entry -> invoke(HANDLE, entry[0], entry[1]));
    }

    /** A sun.misc.SignalHandler whose handle(Signal) runs {@code action}. */
    private static Object handlerCalling(Runnable action) {
        return Proxy.newProxyInstance(HANDLER.getClassLoader(), new Class<?>[] {HANDLER}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "handle" -> action.run();
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                case "toString" -> {
                    return "prefork signal handler";
                }
                default -> throw new UnsupportedOperationException(method.toString());
            }
            return null;
        });
    }

    private static Object invoke(MethodHandle handle, Object... args) {
        try {
            return handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Lookup {
        MethodHandle find() throws ReflectiveOperationException;
    }

    private static MethodHandle find(Lookup lookup) {
        try {
            return lookup.find();
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
