package prefork;

/** Runs user hooks on the supervisor thread: a hook that throws is logged, never fatal. */
final class Hooks {
    /** A hook body that may throw anything. */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    private Hooks() {}

    static void run(ServerConfig config, String name, Body body) {
        try {
            body.run();
        } catch (Exception | LinkageError | AssertionError e) {
            config.log().log("hook " + name + " failed (ignored): " + e);
        }
    }
}
