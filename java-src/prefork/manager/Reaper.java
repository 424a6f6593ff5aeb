package prefork.manager;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import prefork.Log;
import prefork.internal.Native;

/**
 * Reaps orphans when the manager is PID 1 (a container's main process, or {@code unshare --pid}): processes that
 * workers or handlers started and left behind are re-parented to PID 1, and nobody else will ever wait for them.
 * The rule, which never races another waiter (so never {@code waitpid(-1)}):
 * <ol>
 * <li>only children of this process that are already zombies are considered (a running process is left alone,
 *     and reaping a zombie cannot block);</li>
 * <li>never a worker the supervisors know: they reap their own with {@code waitpid(pid, WNOHANG)};</li>
 * <li>only a zombie seen in two scans at least {@link #LINGER_NANOS} apart, with the same start time (not a
 *     reused pid): the JDK's process reaper thread waits in {@code waitpid(pid)} for every ProcessBuilder child
 *     from its start and reaps it the moment it exits, and the supervisors reap theirs within a tick, so a
 *     zombie that lingers for a second has nobody waiting for it.</li>
 * </ol>
 * It scans /proc once a second on a daemon thread, only while the server runs.
 */
public final class Reaper implements AutoCloseable {
    static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private final long self;
    private final Supplier<Set<Long>> workers;
    private final Log log;
    private final long intervalMillis;
    /** pid to the zombie first seen: its start time and when it was first seen. */
    private final Map<Long, long[]> zombies = new HashMap<>();
    private volatile boolean closed;
    private Thread thread;

    Reaper(long self, Supplier<Set<Long>> workers, Log log, long intervalMillis) {
        this.self = self;
        this.workers = workers;
        this.log = log;
        this.intervalMillis = intervalMillis;
    }

    /**
     * When this process is PID 1, starts reaping orphans ({@code workers} gives the supervisors' live workers);
     * otherwise does nothing. Returns what stops it.
     */
    public static Reaper startIfPidOne(Supplier<Set<Long>> workers, Log log) {
        Reaper reaper = new Reaper(ProcessHandle.current().pid(), workers, log, 1000);
        if (reaper.self == 1) {
            log.log("running as PID 1: orphaned processes are reaped (zombies nobody waits for, once a second)");
            reaper.start();
        }
        return reaper;
    }

    void start() {
        thread = new Thread(this::loop, "prefork-reaper");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (!closed) {
            try {
                scan();
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.log("reaper error (continuing): " + e);
            }
        }
    }

    /** One scan: remembers new zombie children, reaps those that lingered; returns how many it reaped. */
    int scan() {
        long now = System.nanoTime();
        Map<Long, Long> seen = zombieChildren();
        zombies.keySet().retainAll(seen.keySet());
        Set<Long> known = null;
        int reaped = 0;
        for (Map.Entry<Long, Long> zombie : seen.entrySet()) {
            long pid = zombie.getKey();
            long[] first = zombies.get(pid);
            if (first == null || first[0] != zombie.getValue()) {
                zombies.put(pid, new long[] {zombie.getValue(), now});
                continue;
            }
            if (now - first[1] < LINGER_NANOS) {
                continue;
            }
            if (known == null) {
                known = workers.get();
            }
            if (!known.contains(pid) && reap(pid)) {
                zombies.remove(pid);
                reaped++;
            }
        }
        return reaped;
    }

    private boolean reap(long pid) {
        int[] status = new int[1];
        int result = Native.libc().waitpid((int) pid, status, Native.WNOHANG);
        if (result == pid) {
            log.log("reaped orphaned process " + pid + ": " + WaitStatus.describe(status[0]));
            return true;
        }
        return false;
    }

    /** The zombie children of {@link #self}, pid to start time (clock ticks since boot), from /proc/PID/stat. */
    private Map<Long, Long> zombieChildren() {
        Map<Long, Long> found = new HashMap<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                String stat;
                try {
                    stat = Files.readString(process.resolve("stat"));
                } catch (IOException e) {
                    continue; // exited meanwhile
                }
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields[0] is the state (field 3 of stat), [1] the ppid (4), [19] the start time (22)
                if (fields.length > 19 && fields[0].equals("Z") && Long.parseLong(fields[1]) == self) {
                    found.put(Long.parseLong(process.getFileName().toString()), Long.parseLong(fields[19]));
                }
            }
        } catch (IOException e) {
            log.log("reaper: cannot read /proc: " + e);
        }
        return found;
    }

    /** Stops the scans. Idempotent. */
    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
