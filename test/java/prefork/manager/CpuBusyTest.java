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
        CpuBusy cpu = new CpuBusy(log, growAnyway, stat(busyTicks, 500, 0), 2);
        cpu.allBusy(0);
        return cpu;
    }

    /** The next interval of the stand-in file: 100 busy ticks, none idle. */
    private void busyInterval() throws IOException {
        busyTicks += 100;
        stat(busyTicks, 500, 0);
    }

    private static void assertHeld(int room, String why) {
        assertEquals(0, room, why);
    }

    private static void assertNotHeld(int room, String why) {
        assertTrue(room > 0, why + ": room " + room);
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
        CpuBusy cpu = new CpuBusy(log, false, file, 2);
        assertFalse(cpu.allBusy(0), "no interval yet");
        stat(1000 + 97, 500 + 2, 20 + 1);
        assertFalse(cpu.allBusy(CpuBusy.FRESH_SAMPLE_NANOS - 1), "the first sample is not over");
        assertTrue(cpu.allBusy(QUARTER), "3 of 100 ticks idle or iowait");
        stat(1000 + 97 + 90, 500 + 2 + 10, 21);
        assertTrue(cpu.allBusy(QUARTER + 1), "within the quarter second: the last verdict");
        assertFalse(cpu.allBusy(2 * QUARTER), "10 of 100 ticks idle");
    }

    @Test
    void holdsSparesOnlyWhenShortAndBusyAndNotToldToGrowAndLogsOnceAMinute() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        assertNotHeld(cpu.spawnRoom(false, 6, 100, QUARTER), "no shortage: nothing held");
        assertHeld(cpu.spawnRoom(true, 6, 100, QUARTER + 1), "short and busy");
        assertHeld(cpu.spawnRoom(true, 6, 101, QUARTER + 2), "still");
        assertEquals(1, log.lines.stream().filter(l -> l.contains("every CPU is busy")).count(), log.lines.toString());
        CpuBusy growing = sampled(true);
        busyInterval();
        assertNotHeld(growing.spawnRoom(true, 6, 100, QUARTER), "growWhenCpuBusy: never held");
    }

    @Test
    void aPoolThatFinishesNoRequestForAStallIntervalIsNotHeld() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        long t = QUARTER;
        assertHeld(cpu.spawnRoom(true, 8, 40, t), "busy, short, and requests were just counted");
        busyInterval();
        assertHeld(cpu.spawnRoom(true, 8, 40, t + CpuBusy.STALL_NANOS - 1), "not stalled yet");
        busyInterval();
        assertNotHeld(cpu.spawnRoom(true, 8, 40, t + CpuBusy.STALL_NANOS),
                "no request finished for the stall interval (long-lived connections): spawn as usual");
        busyInterval();
        assertHeld(cpu.spawnRoom(true, 9, 41, t + 2 * CpuBusy.STALL_NANOS), "progress again: held again");
    }

    @Test
    void aShortageAfterAnIdleSpellIsHeldUntilItHasLastedAStallIntervalWithoutProgress() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        long t = QUARTER;
        assertNotHeld(cpu.spawnRoom(false, 5, 7, t), "idle pool: no shortage");
        busyInterval();
        long later = t + 10 * CpuBusy.STALL_NANOS; // no request finished since t, but nothing was short either
        assertHeld(cpu.spawnRoom(true, 5, 7, later), "the shortage has just begun: held");
        busyInterval();
        assertNotHeld(cpu.spawnRoom(true, 5, 7, later + CpuBusy.STALL_NANOS), "short and no progress for a stall interval");
    }

    @Test
    void aShortageAfterAnIdleSpellIsJudgedOnAFreshSampleNotOnTheIdleSpell() throws IOException {
        CpuBusy cpu = sampled(false);
        busyInterval();
        assertHeld(cpu.spawnRoom(true, 5, 1, QUARTER), "short and busy: held");
        assertNotHeld(cpu.spawnRoom(false, 5, 2, QUARTER + 1), "the load went away");
        long idleSpell = 40 * QUARTER;
        stat(busyTicks + 10, 500 + 990, 0); // ten seconds, nearly all idle; then the load comes back
        assertHeld(cpu.spawnRoom(true, 5, 3, idleSpell), "a fresh sample begins: held while it is measured");
        assertHeld(cpu.spawnRoom(true, 5, 4, idleSpell + CpuBusy.FRESH_SAMPLE_NANOS - 1), "still measuring");
        stat(busyTicks + 10 + 20, 500 + 990, 0); // the fresh sample: 20 ticks, none idle
        assertHeld(cpu.spawnRoom(true, 5, 5, idleSpell + CpuBusy.FRESH_SAMPLE_NANOS),
                "judged on the fresh sample (busy), not on the idle spell since the previous read");

        CapturingLog firstLog = new CapturingLog();
        CpuBusy first = new CpuBusy(firstLog, false, stat(busyTicks, 500, 0), 2);
        assertHeld(first.spawnRoom(true, 5, 0, 0), "the first shortage ever: held while measured");
        assertEquals(java.util.List.of(), firstLog.lines, "no verdict yet, so no 'every CPU is busy' line");

        CpuBusy roomy = sampled(false);
        roomy.spawnRoom(true, 5, 1, QUARTER);
        roomy.spawnRoom(false, 5, 2, QUARTER + 1);
        assertHeld(roomy.spawnRoom(true, 5, 3, idleSpell), "measuring");
        stat(busyTicks + 14, 500 + 6, 0); // since sampled(): 6 of 20 ticks idle: room for another worker
        assertNotHeld(roomy.spawnRoom(true, 5, 4, idleSpell + CpuBusy.FRESH_SAMPLE_NANOS), "room: spawn");
        assertNotHeld(roomy.spawnRoom(true, 5, 5, idleSpell + CpuBusy.FRESH_SAMPLE_NANOS + 1),
                "the verdict holds until the next sample");
        roomy.spawned(1);
        assertHeld(roomy.spawnRoom(true, 6, 6, idleSpell + CpuBusy.FRESH_SAMPLE_NANOS + 2),
                "the sample's room (0.6 idle CPUs: 1 worker) is taken: the next sample decides");
    }

    @Test
    void theRoomIsWhatTheIdleCpusOfTheSampleCouldRunLessThoseSpawnedSinceIt() throws IOException {
        CpuBusy cpu = new CpuBusy(log, false, stat(1000, 500, 0), 8);
        cpu.spawnRoom(true, 5, 1, 0); // the first read: a fresh sample
        stat(1000 + 50, 500 + 30, 20); // 50 of 100 ticks idle or waiting: 4 of the 8 CPUs
        assertEquals(4, cpu.spawnRoom(true, 5, 2, CpuBusy.FRESH_SAMPLE_NANOS));
        cpu.spawned(3);
        assertEquals(1, cpu.spawnRoom(true, 8, 3, CpuBusy.FRESH_SAMPLE_NANOS + 1), "3 of the 4 taken");
        cpu.spawned(1);
        assertEquals(0, cpu.spawnRoom(true, 9, 4, CpuBusy.FRESH_SAMPLE_NANOS + 2), "all taken");
        stat(1000 + 50 + 80, 500 + 30 + 20, 20); // the next sample: 20 of 100 idle, 1.6 CPUs
        assertEquals(2, cpu.spawnRoom(true, 9, 5, CpuBusy.FRESH_SAMPLE_NANOS + QUARTER), "a new sample, a new room");
        assertEquals(CpuBusy.NO_LIMIT, cpu.spawnRoom(false, 9, 6, CpuBusy.FRESH_SAMPLE_NANOS + QUARTER + 1),
                "no shortage: the CPUs set no limit");
        assertEquals(CpuBusy.NO_LIMIT, new CpuBusy(log, true, stat(0, 0, 0), 8).spawnRoom(true, 5, 1, 0),
                "growWhenCpuBusy: no limit");
        assertEquals(CpuBusy.NO_LIMIT, new CpuBusy(log, false, dir.resolve("missing"), 8).spawnRoom(true, 5, 1, 0),
                "no /proc/stat: no limit");
    }

    @Test
    void anUnreadableStatIsNeverBusy() {
        CpuBusy cpu = new CpuBusy(log, false, dir.resolve("missing"), 2);
        assertFalse(cpu.allBusy(0));
        assertFalse(cpu.allBusy(QUARTER));
    }
}
