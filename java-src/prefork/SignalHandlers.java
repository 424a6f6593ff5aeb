package prefork;

import java.util.LinkedHashMap;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Installs the manager's signal handlers (only with {@code handleSignals(true)}). Each handler only calls a
 * hook, and the default hooks only enqueue work for the supervisor: HUP reloads, INT and TERM stop gracefully
 * (a second one stops at once), TTIN and TTOU raise or lower minServers and maxServers by one (as Net::Server
 * does), USR1 reopens the log file. QUIT and USR2 belong to HotSpot and are left alone.
 */
final class SignalHandlers {
    private SignalHandlers() {}

    /** Installs the handlers; returns what puts the previous ones back (run it once the server has stopped). */
    static Runnable install(PreforkServer server, ManagerHooks hooks) {
        Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
        previous.put(new Signal("HUP"), Signal.handle(new Signal("HUP"), signal -> hooks.hupHandler(server)));
        previous.put(new Signal("INT"), Signal.handle(new Signal("INT"), signal -> hooks.intHandler(server)));
        previous.put(new Signal("TERM"), Signal.handle(new Signal("TERM"), signal -> hooks.termHandler(server)));
        previous.put(new Signal("TTIN"), Signal.handle(new Signal("TTIN"), signal -> server.resizeBy(1)));
        previous.put(new Signal("TTOU"), Signal.handle(new Signal("TTOU"), signal -> server.resizeBy(-1)));
        previous.put(new Signal("USR1"), Signal.handle(new Signal("USR1"), signal -> server.reopenLog()));
        return () -> previous.forEach(Signal::handle);
    }
}
