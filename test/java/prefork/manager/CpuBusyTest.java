package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import prefork.CapturingLog;

/** Whether every CPU is busy, read from a stand-in for /proc/stat. */
class CpuBusyTest {
    private static final long QUARTER = CpuBusy.SAMPLE_NANOS;
    @TempDir
    Path dir;
    private final CapturingLog log = new CapturingLog();
    private long busyTicks = 1000;

    private Path stat(long user, long idle, long iowait) throws IOException {
        Path file = dir.resolve("stat");
        Files.writeString(file, "cpu  " + user + " 0 100 " + idle + " " + iowait + " 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
        return file;
    }

    /** A CpuBusy on the stand-in file that has taken its first sample (at 0). */
    private CpuBusy sampled(boolean growAnyway) throws IOException {
        CpuBusy cpu = new CpuBusy(log, growAnyway, stat(busyTicks, 500, 0));
        cpu.allBusy(0);
        return cpu;
    }

    /** The next interval of the stand-in file: 100 busy ticks, none idle. */
    private void busyInterval() throws IOException {
        busyTicks += 100;
        stat(busyTicks, 500, 0);
    }

    @Test
    void readsTheFirstLineOfTheMachinesProcStatAndRefusesAnythingElse() throws IOException {
        long[] ticks = CpuBusy.read(Path.of("/proc/stat"));
        assertTrue(ticks != null && ticks[0] > 0 && ticks[1] > ticks[0], "idle+iowait and all ticks of this machine");
        Path file = dir.resolve("stat");
        Files.writeString(file, "cpu  10 0 5 70 3 0 0 1 0 0\n");
        assertEquals(java.util.List.of(73L, 89L), java.util.Arrays.stream(CpuBusy.read(file)).boxed().toList(),
                "idle+iowait, and user..steal (guest is in user)");
        Files.writeString(file, "cpu  10 0 5\n");
        assertEquals(null, CpuBusy.read(file), "too few fields");
        Files.writeString(file, "cpu  10 0 x5 70 3\n");
        assertEquals(null, CpuBusy.read(file), "not a number");
        Files.writeString(file, "intr 10 0 5 70 3\n");
        assertEquals(null, CpuBusy.read(file), "not the cpu line");
        assertEquals(null, CpuBusy.read(dir.resolve("missing")));
    }

    @Test
    void busyWhenLessThanFivePercentOfTheIntervalWasIdleOrWaiting() throws IOException {
        Path file = stat(1000, 500, 20);
        CpuBusy cpu = new CpuBusy(log, false, file);
        assertFalse(cpu.allBusy(0), "no interval yet");
        stat(1000 + 97, 500 + 2, 20 + 1);
        assertTrue(cpu.allBusy(QUARTER), "3 of 100 ticks idle or iowait");
        stat(1000 + 97 + 90, 500 + 2 + 10, 21);
        assertTrue(cpu.allBusy(QUARTER + 1), "within the quarter second: the last verdict");
        assertFalse(cpu.allBusy(2 * QUARTER), "10 of 100 ticks idle");
    }

    @Test
    void holdsSparesOnlyWhenShortAndBusyAndNotToldToGrowAndLogsOnceAMinute() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        assertFalse(cpu.holdSpares(false, 6, 100, QUARTER), "no shortage: nothing held");
        assertTrue(cpu.holdSpares(true, 6, 100, QUARTER + 1));
        assertTrue(cpu.holdSpares(true, 6, 101, QUARTER + 2));
        assertEquals(1, log.lines.stream().filter(l -> l.contains("every CPU is busy")).count(), log.lines.toString());
        CpuBusy growing = sampled(true);
        busyInterval();
        assertFalse(growing.holdSpares(true, 6, 100, QUARTER), "growWhenCpuBusy: never held");
    }

    @Test
    void aPoolThatFinishesNoRequestForAStallIntervalIsNotHeld() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        long t = QUARTER;
        assertTrue(cpu.holdSpares(true, 8, 40, t), "busy, short, and requests were just counted");
        busyInterval();
        assertTrue(cpu.holdSpares(true, 8, 40, t + CpuBusy.STALL_NANOS - 1), "not stalled yet");
        busyInterval();
        assertFalse(cpu.holdSpares(true, 8, 40, t + CpuBusy.STALL_NANOS),
                "no request finished for the stall interval (long-lived connections): spawn as usual");
        busyInterval();
        assertTrue(cpu.holdSpares(true, 9, 41, t + 2 * CpuBusy.STALL_NANOS), "progress again: held again");
    }

    @Test
    void aShortageAfterAnIdleSpellIsHeldUntilItHasLastedAStallIntervalWithoutProgress() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        long t = QUARTER;
        assertFalse(cpu.holdSpares(false, 5, 7, t), "idle pool: no shortage");
        busyInterval();
        long later = t + 10 * CpuBusy.STALL_NANOS; // no request finished since t, but nothing was short either
        assertTrue(cpu.holdSpares(true, 5, 7, later), "the shortage has just begun: held");
        busyInterval();
        assertFalse(cpu.holdSpares(true, 5, 7, later + CpuBusy.STALL_NANOS), "short and no progress for a stall interval");
    }

    @Test
    void anUnreadableStatIsNeverBusy() {
        CpuBusy cpu = new CpuBusy(log, false, dir.resolve("missing"));
        assertFalse(cpu.allBusy(0));
        assertFalse(cpu.allBusy(QUARTER));
    }
}
