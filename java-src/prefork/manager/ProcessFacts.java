package prefork.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import prefork.internal.Native;

/**
 * What the kernel says about one process: RSS and PSS from /proc/PID/smaps_rollup, user plus system CPU time
 * from /proc/PID/stat. Read by the manager only when asked (status, metrics, the memory limit); a worker never
 * pays for it. Reading smaps_rollup walks the process's page tables to divide shared pages: on this machine
 * 1.3 to 3.4 ms of kernel CPU for a worker JVM; RSS alone comes from /proc/PID/statm in about 45 µs.
 *
 * @param rssBytes resident set size, -1 when unreadable (the process is gone)
 * @param pssBytes proportional set size, -1 when unreadable
 * @param cpuTime CPU time used so far, null when unreadable
 */
public record ProcessFacts(long rssBytes, long pssBytes, Duration cpuTime) {
    /** Nothing known. */
    public static final ProcessFacts UNKNOWN = new ProcessFacts(-1, -1, null);

    private static final class Sysconf {
        static final long PER_SECOND = sysconf(Native.SC_CLK_TCK, 100);
        static final long PAGE_BYTES = sysconf(Native.SC_PAGESIZE, 4096);

        private static long sysconf(int name, long fallback) {
            try {
                long value = Native.libc().sysconf(name);
                return value > 0 ? value : fallback;
            } catch (RuntimeException | LinkageError e) {
                return fallback;
            }
        }
    }

    /** Reads both files of {@code pid}; what cannot be read is left unknown. Never throws. */
    public static ProcessFacts read(long pid) {
        long[] memory = memory(pid);
        return new ProcessFacts(memory[0], memory[1], cpuTime(pid));
    }

    /** {rss, pss} in bytes from /proc/PID/smaps_rollup; -1 each when unreadable. */
    public static long[] memory(long pid) {
        long rss = -1, pss = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"),
                    StandardCharsets.US_ASCII)) {
                if (line.startsWith("Rss:")) {
                    rss = kilobytes(line);
                } else if (line.startsWith("Pss:")) {
                    pss = kilobytes(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone, or /proc is not readable: unknown
        }
        return new long[] {rss, pss};
    }

    /** The resident set size in bytes from /proc/PID/statm (cheap: no page walk); -1 when unreadable. */
    public static long rss(long pid) {
        try {
            String statm = Files.readString(Path.of("/proc", Long.toString(pid), "statm"), StandardCharsets.US_ASCII);
            return Long.parseLong(statm.split(" ")[1]) * Sysconf.PAGE_BYTES;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime (fields 14 and 15 of /proc/PID/stat); null when unreadable. */
    static Duration cpuTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return Duration.ofNanos(ticks * 1_000_000_000L / Sysconf.PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long kilobytes(String line) {
        String[] parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }
}
