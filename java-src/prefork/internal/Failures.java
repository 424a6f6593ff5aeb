package prefork.internal;

/**
 * Which throwables a worker or the manager survives: a hook, handler or evaluation that throws one of them
 * fails only that request, hook or evaluation. Anything else (OutOfMemoryError, other VM errors) is fatal.
 */
public final class Failures {
    private Failures() {}

    /** Exceptions, AssertionError (Clojure's :pre), LinkageError (a class that will not load), StackOverflowError. */
    public static boolean survivable(Throwable failure) {
        return failure instanceof Exception || failure instanceof LinkageError || failure instanceof AssertionError
                || failure instanceof StackOverflowError;
    }

    /** Rethrows {@code failure} when it is not survivable; returns it otherwise. */
    public static Throwable survive(Throwable failure) {
        if (failure instanceof Error error && !survivable(error)) {
            throw error;
        }
        return failure;
    }

    /** The cause worth reporting: through reflection and initializer wrappers to the first real one. */
    public static Throwable root(Throwable failure) {
        Throwable root = failure;
        for (int depth = 0; depth < 20 && root.getCause() != null && root.getCause() != root; depth++) {
            root = root.getCause();
        }
        return root;
    }
}
