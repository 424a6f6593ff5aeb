package prefork.manager;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import prefork.Log;
import prefork.internal.Native;

/**
 * What exited workers left running. Every worker leads its own process group (pgid = its pid), and what its
 * handler starts (a shell, {@code sleep 1000 &}) joins that group unless it makes one of its own (setsid,
 * setpgid). When a worker has exited or was killed, its group gets TERM; a group that still has members after
 * gracefulTimeout gets KILL. A group id is not reused while the group has members, so the signals reach
 * nothing else. Owned by the supervisor thread.
 */
final class LingeringGroups {
    private final WorkerProcesses processes;
    private final Log log;
    private final long graceNanos;
    /** pgid to the nanoTime after which it gets KILL. */
    private final Map<Long, Long> killAt = new LinkedHashMap<>();

    LingeringGroups(WorkerProcesses processes, Log log, long graceNanos) {
        this.processes = processes;
        this.log = log;
        this.graceNanos = graceNanos;
    }

    /** {@code worker} has been reaped: TERM to its group, if anything is left in it. */
    void workerGone(WorkerHandle worker) {
        if (processes.signalGroup(worker.pid, Native.SIGTERM)) {
            killAt.put(worker.pid, System.nanoTime() + graceNanos);
            log.log(worker + " left processes running in its process group " + worker.pid + ": TERM sent");
        }
    }

    /** Forgets the groups that are empty now; sends KILL to those past their deadline. */
    void check() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Long, Long>> it = killAt.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Long> group = it.next();
            if (!processes.signalGroup(group.getKey(), 0)) {
                it.remove();
            } else if (now - group.getValue() > 0) {
                processes.signalGroup(group.getKey(), Native.SIGKILL);
                log.log("process group " + group.getKey() + " still ran after gracefulTimeout: KILL sent");
                it.remove();
            }
        }
    }

    /** Whether no group is waiting to be emptied. */
    boolean isEmpty() {
        return killAt.isEmpty();
    }

    /** KILL to every group still waiting (the server stops, or its deadline has come). */
    void killAll() {
        killAt.keySet().forEach(pgid -> processes.signalGroup(pgid, Native.SIGKILL));
        killAt.clear();
    }

    /**
     * When the supervisor's loop ended abnormally: KILL to every worker of {@code workers} and its group and to
     * every group still waiting, then reaps the workers (removing them from {@code workers}) for up to 2 s, so
     * none outlives the supervisor or stays a zombie.
     */
    void killAndReap(Collection<WorkerHandle> workers) {
        workers.forEach(worker -> {
            processes.kill(worker.pid);
            processes.signalGroup(worker.pid, Native.SIGKILL);
        });
        killAll();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!workers.isEmpty() && System.nanoTime() - deadline < 0) {
            workers.removeIf(worker -> processes.pollExit(worker.pid).isPresent());
            LockSupport.parkNanos(1_000_000);
        }
    }
}
