package prefork.internal;

/** What the manager and a worker JVM agree on: fd numbers, exit status, command-line placeholders. */
public final class WorkerContract {
    /** The listening socket, where {@code System.inheritedChannel()} finds it. */
    public static final int LISTENER = 0;
    /** Read end of the manager-to-worker control pipe. */
    public static final int CONTROL = 3;
    /** The shared-memory scoreboard file. */
    public static final int SCOREBOARD = 4;
    /** Write end of the pipe shared by all workers for replies to evaluations (one line each). */
    public static final int REPLIES = 5;
    /** A worker that cannot boot exits with this status (as gunicorn's workers do). */
    public static final int EXIT_BOOT_FAILED = 3;

    /** Replaced in the worker command line by the slot number and the worker's max requests. */
    public static final String SLOT_PLACEHOLDER = "{slot}", MAX_REQUESTS_PLACEHOLDER = "{max-requests}";

    private WorkerContract() {}
}
