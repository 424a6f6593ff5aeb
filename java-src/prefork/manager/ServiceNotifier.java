package prefork.manager;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import prefork.ServerStats;

/**
 * What the server tells systemd ({@link SystemdNotify}): READY=1 once every pool has minServers workers ready,
 * RELOADING=1 with MONOTONIC_USEC at a reload and READY=1 again once every pool's new generation is ready,
 * STOPPING=1 at shutdown, a STATUS= line with the pools' state whenever it changes (at most once a second),
 * and WATCHDOG=1 every half WATCHDOG_USEC, only while every pool's supervisor loop keeps turning.
 */
public final class ServiceNotifier {
    private static final long STATUS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private final SystemdNotify notify;
    private final List<Pool> pools = new ArrayList<>();
    private final long watchdogHalfNanos;
    private long lastPing = System.nanoTime();
    private String lastStatus = "";
    private long reloadTarget;
    private boolean ready;
    private boolean stopping;

    /** One pool's last word: its stats snapshot, when it was taken, the last turn and the newest ready generation. */
    private final class Pool implements PoolEvents {
        ServerStats stats;
        long statsAt;
        long lastTurn;
        long readyGeneration = 1;

        @Override
        public void turn(Supplier<ServerStats> snapshot) {
            long now = System.nanoTime();
            synchronized (ServiceNotifier.this) {
                lastTurn = now;
                if (stats == null || now - statsAt > STATUS_EVERY_NANOS) {
                    stats = snapshot.get();
                    statsAt = now;
                    sendStatusIfChanged();
                }
                pingWatchdog(now);
            }
        }

        @Override
        public void generationReady(long generation) {
            synchronized (ServiceNotifier.this) {
                readyGeneration = Math.max(readyGeneration, generation);
                if (reloadTarget > 0 && !stopping && pools.stream().allMatch(p -> p.readyGeneration >= reloadTarget)) {
                    reloadTarget = 0;
                    notify.send("READY=1\nSTATUS=" + status());
                }
            }
        }
    }

    public ServiceNotifier(SystemdNotify notify) {
        this.notify = notify;
        this.watchdogHalfNanos = notify.watchdog().toNanos() / 2;
    }

    /** The events of one more pool (call once per pool, before its supervisor starts). */
    public synchronized PoolEvents pool() {
        Pool pool = new Pool();
        pools.add(pool);
        return notify.enabled() ? pool : PoolEvents.NONE;
    }

    /** Every pool is ready: READY=1 with the status and this process as MAINPID. */
    public synchronized void ready(ServerStats stats) {
        ready = true;
        notify.send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + status(stats));
    }

    /** A reload starts, towards {@code generation}: RELOADING=1 and MONOTONIC_USEC (CLOCK_MONOTONIC, as nanoTime). */
    public synchronized void reloading(long generation) {
        if (!ready || stopping) {
            return;
        }
        reloadTarget = Math.max(reloadTarget, generation);
        notify.send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000 + "\nSTATUS=reloading: starting generation "
                + generation);
    }

    /**
     * An upgrade handed over to {@code pid}: MAINPID= that pid (this manager's stop that follows is not the
     * service's: no STOPPING=1).
     */
    public synchronized void handedOver(long pid) {
        stopping = true;
        notify.send("MAINPID=" + pid + "\nSTATUS=upgraded: the new manager pid " + pid + " serves");
    }

    /** A shutdown starts: STOPPING=1 (once). */
    public synchronized void stopping() {
        if (!stopping) {
            stopping = true;
            notify.send("STOPPING=1\nSTATUS=stopping: workers finish their connections");
        }
    }

    private void sendStatusIfChanged() {
        String status = status();
        if (ready && !stopping && reloadTarget == 0 && !status.equals(lastStatus)) {
            lastStatus = status;
            notify.send("STATUS=" + status);
        }
    }

    private void pingWatchdog(long now) {
        if (watchdogHalfNanos > 0 && now - lastPing >= watchdogHalfNanos
                && pools.stream().allMatch(p -> p.lastTurn - lastPing > 0)) {
            lastPing = now;
            notify.send("WATCHDOG=1");
        }
    }

    private String status() {
        List<ServerStats> known = pools.stream().filter(p -> p.stats != null).map(p -> p.stats).toList();
        return known.isEmpty() ? "starting" : status(ServerStats.sum(known));
    }

    private static String status(ServerStats stats) {
        return (stats.busy() + stats.idle() + stats.starting()) + " workers (" + stats.busy() + " busy, " + stats.idle()
                + " idle, " + stats.starting() + " starting), " + stats.served() + " requests served, generation "
                + stats.generation();
    }
}
