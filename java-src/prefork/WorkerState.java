package prefork;

/** What a worker is doing, as the manager sees it through the scoreboard. */
public enum WorkerState {
    /** Spawned, not yet accepting (booting the JVM, loading the child, running initialize). */
    STARTING,
    /** Waiting in accept (or receive, for UDP). */
    IDLE,
    /** Handling a connection or datagram. */
    BUSY,
    /** Asked to exit, or exiting; finishes its current request first. */
    STOPPING
}
