package prefork.manager;

import java.time.Duration;
import prefork.CapturingLog;

/** For tests outside this package: the manager's own verdict (CpuBusy, /proc/stat) on whether every CPU is busy. */
public final class CpuProbe {
    private CpuProbe() {}

    /**
     * Whether every CPU was busy in each sample interval of the manager's (CpuBusy's) over the next
     * {@code interval} (at least one sample interval), as the manager judges it.
     */
    public static boolean everyCpuBusy(Duration interval) throws InterruptedException {
        CpuBusy cpu = new CpuBusy(new CapturingLog(), false);
        long start = System.nanoTime(), at = start;
        cpu.allBusy(start); // the first read starts a sample
        boolean busy = true;
        while (at - start < Math.max(interval.toNanos(), CpuBusy.SAMPLE_NANOS)) {
            Thread.sleep(CpuBusy.SAMPLE_NANOS / 1_000_000);
            at = Math.max(System.nanoTime(), at + CpuBusy.SAMPLE_NANOS);
            busy &= cpu.allBusy(at);
        }
        return busy;
    }
}
