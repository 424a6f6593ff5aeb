package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether every CPU of the machine is busy, from the first line of /proc/stat ("cpu user nice system idle
 * iowait ..."), sampled at most every {@link #SAMPLE_NANOS}: busy when less than {@link #IDLE_FRACTION} of the
 * CPU time since the previous sample was idle or waiting for I/O. Where /proc/stat cannot be read, never busy.
 * Spares are held only while the pool makes progress: when no worker has finished a request in the last
 * {@link #STALL_NANOS} of a shortage (every worker holds a long-lived connection, say), it spawns as usual, or
 * connections waiting in the accept queue would never be served. Used by the supervisor only, on its own thread.
 */
final class CpuBusy {
    static final long SAMPLE_NANOS = 250_000_000L;
    static final double IDLE_FRACTION = 0.05;
    static final long LOG_INTERVAL_NANOS = 60_000_000_000L;
    /** No request finished for this long: the pool is stalled, and spares are not held. */
    static final long STALL_NANOS = 250_000_000L;
    private static final long NOT_SHORT = Long.MIN_VALUE;
    private final Path stat;
    private final prefork.Log log;
    private final boolean growAnyway;
    private long sampledAt = Long.MIN_VALUE;
    private long idle = -1, total = -1;
    private boolean busy;
    private long loggedAt = Long.MIN_VALUE;
    private long handled = -1;
    private long handledChangedAt;
    private long shortSince = NOT_SHORT;

    /** {@code growAnyway}: the growWhenCpuBusy option (then spares are never held). */
    CpuBusy(prefork.Log log, boolean growAnyway) {
        this(log, growAnyway, Path.of("/proc/stat"));
    }

    /** The same, reading {@code stat} instead of /proc/stat (tests). */
    CpuBusy(prefork.Log log, boolean growAnyway, Path stat) {
        this.log = log;
        this.growAnyway = growAnyway;
        this.stat = stat;
    }

    /**
     * Whether a shortage of spare workers should spawn nothing now: every CPU is busy, growWhenCpuBusy is off, and
     * the pool made progress in the last {@link #STALL_NANOS} of the shortage ({@code requestsHandled}, the sum of
     * its workers' request counts, changed; a shortage younger than that counts as progress). Call it on every
     * turn (it samples /proc/stat every {@link #SAMPLE_NANOS}); logs a held shortage at most once a minute.
     */
    boolean holdSpares(boolean spareShort, int workers, long requestsHandled, long nowNanos) {
        if (requestsHandled != handled) {
            handled = requestsHandled;
            handledChangedAt = nowNanos;
        }
        if (!spareShort) {
            shortSince = NOT_SHORT;
        } else if (shortSince == NOT_SHORT) {
            shortSince = nowNanos;
        }
        boolean progressing = nowNanos - Math.max(handledChangedAt, shortSince) < STALL_NANOS;
        boolean hold = allBusy(nowNanos) && spareShort && !growAnyway && progressing;
        if (hold && (loggedAt == Long.MIN_VALUE || nowNanos - loggedAt >= LOG_INTERVAL_NANOS)) {
            loggedAt = nowNanos;
            log.log("spare workers short at " + workers + " workers, but every CPU is busy: not spawning more while"
                    + " they finish requests (growWhenCpuBusy=true spawns anyway)");
        }
        return hold;
    }

    /** Whether every CPU was busy over the last sample interval, as of {@code nowNanos}. */
    boolean allBusy(long nowNanos) {
        if (sampledAt != Long.MIN_VALUE && nowNanos - sampledAt < SAMPLE_NANOS) {
            return busy;
        }
        sampledAt = nowNanos;
        long[] ticks = read(stat);
        if (ticks == null) {
            return busy = false;
        }
        long idleDelta = ticks[0] - idle, totalDelta = ticks[1] - total;
        busy = idle >= 0 && totalDelta > 0 && idleDelta < IDLE_FRACTION * totalDelta;
        idle = ticks[0];
        total = ticks[1];
        return busy;
    }

    /** {idle + iowait, all} ticks since boot, or null. */
    private static long[] read(Path stat) {
        try {
            String first = Files.readString(stat).lines().findFirst().orElse("");
            String[] fields = first.trim().split("\\s+");
            if (fields.length < 6 || !fields[0].equals("cpu")) {
                return null;
            }
            long all = 0;
            for (int i = 1; i < fields.length && i <= 8; i++) { // user .. steal; guest is counted in user
                all += Long.parseLong(fields[i]);
            }
            return new long[] {Long.parseLong(fields[4]) + Long.parseLong(fields[5]), all};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
