package prefork.manager;

import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;
import prefork.internal.ControlProtocol;

/**
 * How the supervisor starts, signals and reaps worker processes. The real implementation is
 * {@link SpawnedWorkers}; supervisor unit tests use a fake.
 */
public interface WorkerProcesses extends AutoCloseable {
    /** Starts a worker that will own {@code slot} and recycle itself after {@code maxRequests} (0 = never); returns its pid. */
    long spawn(int slot, long maxRequests) throws IOException;

    /**
     * Writes a message into the worker's control pipe; returns false if the worker is gone or its pipe stayed
     * full for two seconds (the pipe is then closed, so the worker exits).
     */
    boolean send(long pid, ControlProtocol.Message message);

    /** Asks the worker to finish its current request and exit. */
    default void requestStop(long pid) {
        send(pid, new ControlProtocol.Stop());
    }

    /**
     * Dispatch mode: whether the worker did not take a connection passed to it within dispatchTimeout (it is
     * then hung and killed). Always false in the other modes.
     */
    default boolean unresponsive(long pid) {
        return false;
    }

    /** Kills the worker at once (SIGKILL). */
    void kill(long pid);

    /**
     * Sends {@code signal} (0: none, only the check) to every process of the process group {@code pgid} (a
     * worker's pid: each worker leads its own group); returns whether the group had any process.
     */
    default boolean signalGroup(long pgid, int signal) {
        return false;
    }

    /**
     * Reaps the worker if it has exited, without blocking; returns its raw wait status, or empty while it runs.
     * A status of -1 means the process is gone but its status is unknown.
     */
    OptionalInt pollExit(long pid);

    /**
     * The last lines worker {@code pid} wrote to its output (waiting briefly for its pipe to end): what a JVM
     * printed before prefork's worker code ran explains a worker that exited before it could report. Empty if
     * none; asked once, after the worker was reaped.
     */
    default List<String> lastOutput(long pid) {
        return List.of();
    }

    /** Releases what the launcher holds (not the workers). */
    @Override
    void close();
}
