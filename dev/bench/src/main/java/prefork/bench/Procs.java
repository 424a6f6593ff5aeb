package prefork.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reads Linux /proc: CPU times of a process tree, RSS and PSS, the machine's CPU counters and load. */
final class Procs {
    /** USER_HZ: /proc reports CPU times in ticks of 10 ms on Linux. */
    static final double MILLIS_PER_TICK = 10.0;

    private Procs() {}

    /** The process and every live descendant (workers spawned by a manager). */
    static List<ProcessHandle> tree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        try (Stream<ProcessHandle> descendants = root.descendants()) {
            descendants.forEach(all::add);
        }
        return all;
    }

    /**
     * utime + stime + cutime + cstime of one process (fields 14 to 17 of /proc/pid/stat), 0 if it is gone. Summed
     * over a tree this counts workers that exited inside a window too: their parent has reaped them.
     */
    static long cpuTicks(long pid) {
        String[] fields = statFields(pid);
        if (fields == null) {
            return 0;
        }
        // fields[0] is field 3 (state): field n is fields[n - 3]
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                + Long.parseLong(fields[14]);
    }

    /** cutime + cstime of a process: the CPU of its children that it has reaped (fields 16 and 17), 0 if gone. */
    static long childTicks(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? 0 : Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
    }

    /** The state letter of a process (R, S, Z...), or 'X' if it is gone. */
    static char state(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? 'X' : fields[0].charAt(0);
    }

    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {Rss, Pss} in KiB from /proc/pid/smaps_rollup, or {0, 0} if the process is gone. */
    static long[] rssPssKib(long pid) {
        long rss = 0, pss = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Rss:")) {
                    rss = kib(line);
                } else if (line.startsWith("Pss:")) {
                    pss = kib(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
        return new long[] {rss, pss};
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** {busy, total} ticks over all cores from /proc/stat: busy is user + nice + system + irq + softirq. */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
            long total = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {busy, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 1};
        }
    }

    /** The first three fields of /proc/loadavg ("1.02 0.87 0.55"). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
