package prefork.manager;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import prefork.ManagerHooks;
import prefork.PreforkServer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Installs the manager's signal handlers (only with {@code handleSignals(true)}). Each handler only calls its
 * hook ({@link ManagerHooks}), and the default hooks only enqueue work for the supervisor: HUP reloads, INT and
 * TERM stop gracefully (a second one stops at once), TTIN and TTOU raise or lower minServers and maxServers by
 * one (as Net::Server does), USR1 reopens the log file. QUIT and USR2 belong to HotSpot and are left alone.
 */
public final class SignalHandlers {
    private SignalHandlers() {}

    /** Installs the handlers; returns what puts the previous ones back (run it once the server has stopped). */
    public static Runnable install(PreforkServer server, ManagerHooks hooks) {
        Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
        Map<String, Consumer<PreforkServer>> handlers = new LinkedHashMap<>();
        handlers.put("HUP", hooks::hupHandler);
        handlers.put("INT", hooks::intHandler);
        handlers.put("TERM", hooks::termHandler);
        handlers.put("TTIN", hooks::ttinHandler);
        handlers.put("TTOU", hooks::ttouHandler);
        handlers.put("USR1", hooks::usr1Handler);
        handlers.forEach((name, handler) -> {
            Signal signal = new Signal(name);
            previous.put(signal, Signal.handle(signal, received -> handler.accept(server)));
        });
        return () -> previous.forEach(Signal::handle);
    }
}
