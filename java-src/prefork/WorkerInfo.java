package prefork;

import java.time.Instant;

/**
 * A snapshot of one worker process.
 *
 * @param slot its scoreboard slot (reused by its replacement)
 * @param pid its process id
 * @param state what it is doing
 * @param requests connections (or datagrams) handled so far
 * @param startedAt when the manager spawned it
 * @param lastActive when it last started or finished a request (or was spawned)
 * @param generation 1 for the first workers, incremented by every reload
 * @param listener the listener it serves, as {@link ListenerSpec#toString()} ("tcp://127.0.0.1:7000")
 * @param stale null while the worker runs the recorded code; else why it does not (it could not apply a
 *     recorded code change), and it is being replaced
 */
public record WorkerInfo(int slot, long pid, WorkerState state, long requests, Instant startedAt,
        Instant lastActive, long generation, String listener, String stale) {}
