package prefork.internal;

/** Where a worker JVM finds what the manager hands it, and the exit status both ends agree on. */
public final class WorkerFds {
    /** The listening socket, where {@code System.inheritedChannel()} finds it. */
    public static final int LISTENER = 0;
    /** Read end of the manager-to-worker control pipe ({@link ControlProtocol}). */
    public static final int CONTROL = 3;
    /** The shared-memory scoreboard file ({@link Scoreboard}). */
    public static final int SCOREBOARD = 4;
    /** Write end of the pipe shared by all workers for replies to evaluations (one line each). */
    public static final int REPLIES = 5;
    /**
     * The access log, open only with the accessLog option: the file itself (opened O_APPEND by the manager), or
     * the write end of a pipe the manager drains (stdout, or workers of another user).
     */
    public static final int ACCESS_LOG = 6;
    /**
     * Dispatch mode: the worker's end of its SOCK_SEQPACKET dispatch socket, where the manager passes it
     * connections ({@link Handoff}); fd 0 is /dev/null then.
     */
    public static final int DISPATCH = 7;
    /** A worker that cannot boot exits with this status (as gunicorn's workers do). */
    public static final int EXIT_BOOT_FAILED = 3;

    private WorkerFds() {}

    /** The path under which this process opens one of its inherited fds. */
    public static String path(int fd) {
        return "/proc/self/fd/" + fd;
    }
}
