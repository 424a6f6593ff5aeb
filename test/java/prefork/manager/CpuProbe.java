package prefork.manager;

import java.time.Duration;
import prefork.CapturingLog;

/** For tests outside this package: the manager's own verdict (CpuBusy, /proc/stat) on whether every CPU is busy. */
public final class CpuProbe {
    private CpuProbe() {}

    /** Whether every CPU was busy over the next {@code interval} (at least CpuBusy's sample interval), as the manager judges it. */
    public static boolean everyCpuBusy(Duration interval) throws InterruptedException {
        CpuBusy cpu = new CpuBusy(new CapturingLog(), false);
        long start = System.nanoTime();
        cpu.allBusy(start);
        Thread.sleep(Math.max(interval.toMillis(), CpuBusy.SAMPLE_NANOS / 1_000_000));
        return cpu.allBusy(Math.max(System.nanoTime(), start + CpuBusy.SAMPLE_NANOS));
    }
}
