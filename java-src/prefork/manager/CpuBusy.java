package prefork.manager;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How many more workers the machine's CPUs have room for, from the first line of /proc/stat ("cpu user nice
 * system idle iowait ..."), sampled at most every {@link #SAMPLE_NANOS}: none while every CPU is busy (less than
 * {@link #IDLE_FRACTION} of the CPU time since the previous sample was idle or waiting for I/O), else as many as
 * the idle CPUs of that sample could run, less those spawned since it. A worker's start takes about 0.15 s of a
 * CPU from the workers that serve, and more workers than can run do not serve more (BENCHMARKS.md), so a
 * shortage of spares on a nearly busy machine spawns one worker and looks again, instead of a batch.
 * /proc/stat is read only while spares are short, so when a shortage begins the previous read may be minutes
 * old, and the ticks since then tell how busy the machine was before the load came, not now: after more than
 * {@link #STALE_NANOS} without a read the read starts a fresh sample, the shortage is held while the CPUs are
 * measured, and the verdict comes after {@link #FRESH_SAMPLE_NANOS}. Where /proc/stat cannot be read, no limit.
 * Spares are held only while the pool makes progress: when no worker has finished a request in the last
 * {@link #STALL_NANOS} of a shortage (every worker holds a long-lived connection, say), it spawns as usual, or
 * connections waiting in the accept queue would never be served. Used by the supervisor only, on its own thread.
 */
final class CpuBusy {
    /** {@link #spawnRoom}'s answer when the CPUs set no limit. */
    static final int NO_LIMIT = Integer.MAX_VALUE;
    static final long SAMPLE_NANOS = 250_000_000L;
    /** A read older than this judges a time before the shortage: the next read starts a fresh sample. */
    static final long STALE_NANOS = 2 * SAMPLE_NANOS;
    /**
     * How long a fresh sample lasts: 10 ticks of each CPU at the kernel's 100 a second, enough to tell a busy
     * machine (no idle tick) from one with room.
     */
    static final long FRESH_SAMPLE_NANOS = 100_000_000L;
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
    private final int cpus;
    private long sampledAt = Long.MIN_VALUE;
    private long sampleLength = SAMPLE_NANOS;
    private long idle = -1, total = -1;
    private boolean busy, readable;
    /** A fresh sample has begun and has no verdict yet. */
    private boolean measuring;
    /** The idle CPUs of the last sample, and the workers spawned since it. */
    private double idleCpus;
    private int spawnedSinceSample;
    private long loggedAt = Long.MIN_VALUE;
    private long handled = -1;
    private long handledChangedAt;
    private long shortSince = NOT_SHORT;

    /**
     * {@code growAnyway}: the growWhenCpuBusy option (then the CPUs set no limit); the CPUs are this JVM's
     * available processors.
     */
    CpuBusy(prefork.Log log, boolean growAnyway) {
        this(log, growAnyway, Path.of("/proc/stat"), Runtime.getRuntime().availableProcessors());
    }

    /** The same, reading {@code stat} instead of /proc/stat, for a machine of {@code cpus} CPUs (tests). */
    CpuBusy(prefork.Log log, boolean growAnyway, Path stat, int cpus) {
        this.log = log;
        this.growAnyway = growAnyway;
        this.stat = stat;
        this.cpus = Math.max(1, cpus);
    }

    /**
     * How many workers a shortage of spare workers may spawn now (besides those minServers lacks, which are always
     * spawned): {@link #NO_LIMIT} when spares are not short, growWhenCpuBusy is set, /proc/stat cannot be read,
     * or the pool made no progress in the last {@link #STALL_NANOS} of the shortage ({@code requestsHandled}, the
     * sum of its workers' request counts, did not change; a shortage younger than that counts as progress);
     * 0 while every CPU is busy or a fresh sample is measured (at most {@link #FRESH_SAMPLE_NANOS}); else the
     * idle CPUs of the last sample, rounded and at least 1, less the workers {@link #spawned} since it. Call it
     * on every turn; logs a held shortage at most once a minute. /proc/stat is read only when the answer depends
     * on it, at most every {@link #SAMPLE_NANOS} (about 150 microseconds a read on these machines, most of it
     * the kernel's).
     */
    int spawnRoom(boolean spareShort, int workers, long requestsHandled, long nowNanos) {
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
        if (!spareShort || growAnyway || !progressing) {
            return NO_LIMIT;
        }
        boolean allBusy = allBusy(nowNanos);
        if (!readable) {
            return NO_LIMIT;
        }
        if (measuring) {
            return 0;
        }
        if (allBusy) {
            if (loggedAt == Long.MIN_VALUE || nowNanos - loggedAt >= LOG_INTERVAL_NANOS) {
                loggedAt = nowNanos;
                log.log("spare workers short at " + workers + " workers, but every CPU is busy: not spawning more"
                        + " while they finish requests (growWhenCpuBusy=true spawns anyway)");
            }
            return 0;
        }
        return Math.max(0, Math.max(1, (int) Math.round(idleCpus)) - spawnedSinceSample);
    }

    /** Counts {@code count} workers just spawned against the room of the current sample. */
    void spawned(int count) {
        spawnedSinceSample += count;
    }

    /**
     * Whether every CPU was busy over the last sample interval, as of {@code nowNanos}; false while a fresh sample
     * is under way and when /proc/stat cannot be read.
     */
    boolean allBusy(long nowNanos) {
        if (sampledAt != Long.MIN_VALUE && nowNanos - sampledAt < sampleLength) {
            return busy;
        }
        boolean stale = sampledAt == Long.MIN_VALUE || nowNanos - sampledAt > STALE_NANOS;
        sampledAt = nowNanos;
        long[] ticks = read(stat);
        readable = ticks != null;
        if (ticks == null) {
            measuring = false;
            return busy = false;
        }
        long idleDelta = ticks[0] - idle, totalDelta = ticks[1] - total;
        busy = !stale && totalDelta > 0 && idleDelta < IDLE_FRACTION * totalDelta;
        idleCpus = totalDelta > 0 ? cpus * (double) idleDelta / totalDelta : cpus;
        spawnedSinceSample = 0;
        measuring = stale;
        sampleLength = stale ? FRESH_SAMPLE_NANOS : SAMPLE_NANOS;
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
