package prefork.manager;

import java.io.IOException;
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
    /** Enough for the first line of /proc/stat ("cpu" and ten counters of up to 20 digits). */
    private static final int FIRST_LINE_BYTES = 256;
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
     * turn; logs a held shortage at most once a minute. /proc/stat is read only when the answer depends on it
     * (a shortage that would be held if the CPUs are busy), at most every {@link #SAMPLE_NANOS}: its first read
     * in a shortage judges the CPUs over the time since the previous read (about 150 microseconds a read on
     * these machines, most of it the kernel's, which an idle pool no longer pays 4 times a second).
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
        boolean hold = spareShort && !growAnyway && progressing && allBusy(nowNanos);
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

    /**
     * {idle + iowait, all} ticks since boot, or null. Only the first line is read and parsed, by hand: the
     * supervisor calls this 4 times a second from code that stays interpreted (see TurnPace), where reading
     * the whole file as a String and splitting it with a regex cost about 100 microseconds.
     */
    static long[] read(Path stat) {
        byte[] head = new byte[FIRST_LINE_BYTES];
        int length = 0;
        try (java.io.InputStream in = new java.io.FileInputStream(stat.toFile())) {
            for (int n = 0; length < head.length && n >= 0; length += Math.max(n, 0)) {
                n = in.read(head, length, head.length - length);
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (length < 4 || head[0] != 'c' || head[1] != 'p' || head[2] != 'u' || head[3] != ' ') {
            return null;
        }
        long[] fields = new long[8]; // user nice system idle iowait irq softirq steal; guest is counted in user
        int count = 0;
        for (int i = 4; i < length && head[i] != '\n' && count < fields.length; ) {
            if (head[i] == ' ') {
                i++;
                continue;
            }
            long value = 0;
            for (; i < length && head[i] >= '0' && head[i] <= '9'; i++) {
                value = value * 10 + (head[i] - '0');
            }
            if (i < length && head[i] != ' ' && head[i] != '\n') {
                return null;
            }
            fields[count++] = value;
        }
        if (count < 5) {
            return null;
        }
        long all = 0;
        for (int i = 0; i < count; i++) {
            all += fields[i];
        }
        return new long[] {fields[3] + fields[4], all};
    }
}
