package prefork.manager;

import prefork.Log;
import prefork.internal.Failures;

/** Runs user hooks in the manager after start: a hook that throws is logged, never fatal. */
public final class HookRunner {
    /** A hook body that may throw anything. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private HookRunner() {}

    /** Runs {@code body}; a survivable failure is logged as "hook NAME failed (ignored)". */
    public static void run(Log log, String name, Body body) {
        try {
            body.run();
        } catch (Throwable e) {
            log.log("hook " + name + " failed (ignored): " + Failures.survive(e));
        }
    }
}
