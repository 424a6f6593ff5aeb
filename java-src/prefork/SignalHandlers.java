package prefork;

import sun.misc.Signal;

/**
 * Installs the manager's signal handlers (only with {@code handleSignals(true)}). Each handler only calls a
 * hook, and the default hooks only enqueue work for the supervisor: HUP reloads, INT and TERM stop gracefully
 * (a second one stops at once), TTIN and TTOU raise or lower minServers and maxServers by one (as Net::Server
 * does). QUIT and USR2 belong to HotSpot and are left alone.
 */
final class SignalHandlers {
    private SignalHandlers() {}

    @SuppressWarnings("removal")
    static void install(PreforkServer server, ManagerHooks hooks) {
        Signal.handle(new Signal("HUP"), signal -> hooks.hupHandler(server));
        Signal.handle(new Signal("INT"), signal -> hooks.intHandler(server));
        Signal.handle(new Signal("TERM"), signal -> hooks.termHandler(server));
        Signal.handle(new Signal("TTIN"), signal -> server.resizeBy(1));
        Signal.handle(new Signal("TTOU"), signal -> server.resizeBy(-1));
    }
}
