package prefork;

/**
 * The model's Manager hooks, in the manager process. Implement the ones you need; every default does nothing
 * except the signal handlers. A hook that throws during start makes start fail (everything it opened is
 * closed); one that throws later is logged and the server carries on.
 */
public interface ManagerHooks {
    /** In start(), on the caller's thread, before the listening socket is created (there is no server yet). */
    default void preBind() throws Exception {}

    /** In start(), right after the socket is bound; {@link PreforkServer#port()} is known. */
    default void postBind(PreforkServer server) throws Exception {}

    /** In start(), before signal handlers are installed (they are only with {@code handleSignals(true)}). */
    default void preSignalSetup(PreforkServer server) throws Exception {}

    /** In start(), after signal handlers are installed, or where they would have been. */
    default void postSignalSetup(PreforkServer server) throws Exception {}

    /** In start(), before the first workers are spawned. */
    default void preInitChildren(PreforkServer server) throws Exception {}

    /** In start(), after minServers workers are ready, just before start() returns. */
    default void postInitChildren(PreforkServer server) throws Exception {}

    /** On the supervisor thread, once, before its loop begins. */
    default void preLoop(PreforkServer server) throws Exception {}

    /** On the supervisor thread when shutdown begins, before workers are told to stop. */
    default void preServerClose(PreforkServer server) throws Exception {}

    /** SIGHUP, on the JVM's signal thread (every signal handler runs there: enqueue, do not block). Default: {@link PreforkServer#reload()} (graceful). */
    default void hupHandler(PreforkServer server) {
        server.reload("HUP");
    }

    /** SIGINT. Default: a graceful shutdown; a second INT or TERM during it kills the workers at once. */
    default void intHandler(PreforkServer server) {
        server.shutdownFromSignal("INT");
    }

    /** SIGTERM. Default: the same as {@link #intHandler}. */
    default void termHandler(PreforkServer server) {
        server.shutdownFromSignal("TERM");
    }

    /** SIGTTIN. Default: one more server ({@link PreforkServer#resizeBy resizeBy(1)}). */
    default void ttinHandler(PreforkServer server) {
        server.resizeBy(1, "TTIN");
    }

    /** SIGTTOU. Default: one fewer server ({@link PreforkServer#resizeBy resizeBy(-1)}). */
    default void ttouHandler(PreforkServer server) {
        server.resizeBy(-1, "TTOU");
    }

    /** SIGUSR1. Default: {@link PreforkServer#reopenLog()}, after logrotate moved the file. */
    default void usr1Handler(PreforkServer server) {
        server.reopenLog("USR1");
    }

    /** A worker became ready to serve (supervisor thread; unicorn's after_worker_ready). */
    default void workerReady(PreforkServer server, WorkerInfo worker) {}

    /**
     * A worker exited and was reaped (supervisor thread; gunicorn's child_exit). {@code status} is the raw
     * wait status (-1 when unknown); {@code worker} is its last state, with the requests it handled.
     */
    default void workerExited(PreforkServer server, WorkerInfo worker, ExitCause cause, int status) {}

    /** A worker busy longer than the {@code timeout} option was killed (supervisor thread). */
    default void workerTimedOut(PreforkServer server, WorkerInfo worker) {}
}
