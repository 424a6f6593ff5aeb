package prefork;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;

/**
 * A snapshot of one worker process, read from the scoreboard (and, in {@link PreforkServer#workers()}, from
 * /proc) without stopping the worker.
 *
 * @param slot its scoreboard slot (reused by its replacement)
 * @param pid its process id
 * @param state what it is doing
 * @param requests connections (or datagrams) handled so far
 * @param startedAt when the manager spawned it
 * @param lastActive when it last started or finished a request (or was spawned)
 * @param generation 1 for the first workers, incremented by every reload
 * @param listener the listener it serves, as {@link ListenerSpec#toString()} ("tcp://127.0.0.1:7000")
 * @param busyFor how long it has been on its current request; null when it is not busy
 * @param client the address and port of the client it is serving; null when it is not busy or the listener
 *     is a Unix socket
 * @param rssBytes its resident set size from /proc/PID/smaps_rollup; -1 when not read (in hooks' snapshots)
 *     or unreadable
 * @param pssBytes its proportional set size (shared pages divided among the processes mapping them); -1 when
 *     not read or unreadable
 * @param cpuTime user plus system CPU time from /proc/PID/stat; null when not read or unreadable
 * @param previousExit why the slot's previous worker exited; null for a slot's first worker
 * @param stale null while the worker runs the recorded code; else why it does not (it could not apply a
 *     recorded code change), and it is being replaced
 */
public record WorkerInfo(int slot, long pid, WorkerState state, long requests, Instant startedAt,
        Instant lastActive, long generation, String listener, Duration busyFor, InetSocketAddress client,
        long rssBytes, long pssBytes, Duration cpuTime, ExitCause previousExit, String stale) {

    /** The same snapshot with the process's memory and CPU time. */
    public WorkerInfo withProcessFacts(long rss, long pss, Duration cpu) {
        return new WorkerInfo(slot, pid, state, requests, startedAt, lastActive, generation, listener, busyFor,
                client, rss, pss, cpu, previousExit, stale);
    }
}
