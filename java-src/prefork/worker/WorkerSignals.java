package prefork.worker;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * TERM and INT sent to the worker itself (systemd's KillMode=control-group signals every process of the
 * service at once; so does {@code docker stop} to a process group, or a user's {@code kill}) stop it the way
 * the manager's {@code stop} message does: it stops accepting, finishes its current connection and exits 0,
 * instead of the JVM's default of running shutdown hooks and exiting 143 mid-request. The manager still bounds
 * the wait with gracefulTimeout. The handler only flips flags and closes the listener: it never blocks.
 */
final class WorkerSignals {
    private WorkerSignals() {}

    /** Makes TERM and INT call {@code control.requestStop()} (on the JVM's signal thread). */
    static void install(WorkerControl control) {
        SignalHandler handler = new GracefulStop(control);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), handler);
        }
    }

    /** A class rather than a lambda, so that the class data archive holds it (see WorkerControl). */
    private static final class GracefulStop implements SignalHandler {
        private final WorkerControl control;

        GracefulStop(WorkerControl control) {
            this.control = control;
        }

        @Override
        public void handle(Signal signal) {
            control.requestStop();
        }
    }
}
