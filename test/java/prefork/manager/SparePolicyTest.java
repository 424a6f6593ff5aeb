package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import prefork.PoolBounds;

class SparePolicyTest {
    private static final long SECOND = 1_000_000_000L;
    private final PoolBounds bounds = new PoolBounds(5, 20, 2, 10);

    @Test
    void fillsUpToMinServersAtOnce() {
        assertEquals(5, new SparePolicy(SECOND).toSpawn(bounds, 0, 0));
        assertEquals(3, new SparePolicy(SECOND).toSpawn(bounds, 2, 2));
    }

    @Test
    void growsWhenEveryWorkerIsBusyDoublingTheBatchUpToMaxServers() {
        SparePolicy policy = new SparePolicy(SECOND);
        int total = 5;
        StringBuilder batches = new StringBuilder();
        while (total < 20) {
            int spawned = policy.toSpawn(bounds, total, 0);
            batches.append(spawned).append(' ');
            total += spawned;
        }
        assertEquals(20, total);
        assertEquals("1 2 4 8 ", batches.toString(), "Apache-style ramp, capped by maxServers");
        assertEquals(0, policy.toSpawn(bounds, 20, 0), "never beyond maxServers");
    }

    @Test
    void whileEveryCpuIsBusyAShortageSpawnsOnlyWhatMinServersLacksAndTheRampWaits() {
        SparePolicy policy = new SparePolicy(SECOND);
        assertEquals(1, policy.toSpawn(bounds, 5, 0), "not held: one more");
        assertEquals(0, policy.toSpawn(bounds, 6, 0, 0), "held: no spare worker");
        assertEquals(0, policy.toSpawn(bounds, 6, 0, 0), "still held");
        assertEquals(2, policy.toSpawn(bounds, 6, 0, CpuBusy.NO_LIMIT), "released: the ramp goes on from where it was");
        assertEquals(2, new SparePolicy(SECOND).toSpawn(bounds, 3, 0, 0), "held, but minServers is still kept");
    }

    @Test
    void aShortageSpawnsNoMoreThanTheCpusHaveRoomFor() {
        SparePolicy policy = new SparePolicy(SECOND);
        policy.toSpawn(bounds, 5, 0);
        policy.toSpawn(bounds, 6, 0);
        assertEquals(1, policy.toSpawn(bounds, 8, 0, 1), "the ramp is at 4, the CPUs have room for 1");
        assertEquals(3, policy.toSpawn(bounds, 2, 0, 0), "minServers' 3 are spawned whatever the CPUs' room");
        assertEquals(4, new SparePolicy(SECOND).toSpawn(bounds, 1, 0, 1), "minServers' 4, and 1 for the shortage");
    }

    @Test
    void theRampResetsOnceSparesSuffice() {
        SparePolicy policy = new SparePolicy(SECOND);
        policy.toSpawn(bounds, 5, 0);
        policy.toSpawn(bounds, 6, 0);
        assertEquals(0, policy.toSpawn(bounds, 8, 2));
        assertEquals(1, policy.toSpawn(bounds, 8, 1));
    }

    @Test
    void retiresOneSurplusIdleWorkerPerIntervalOfUnbrokenSurplusAndNeverBelowMinServers() {
        SparePolicy policy = new SparePolicy(SECOND);
        assertEquals(0, policy.toRetire(bounds, 15, 12, 0), "a surplus must last a whole interval");
        assertEquals(0, policy.toRetire(bounds, 15, 12, SECOND / 2));
        assertEquals(1, policy.toRetire(bounds, 15, 12, SECOND));
        assertEquals(0, policy.toRetire(bounds, 14, 11, SECOND + SECOND / 2), "one per interval");
        assertEquals(1, policy.toRetire(bounds, 14, 11, 2 * SECOND));
        assertEquals(0, policy.toRetire(bounds, 5, 11, 10 * SECOND), "never below minServers");
        assertEquals(0, policy.toRetire(bounds, 15, 10, 10 * SECOND), "idle within maxSpareServers");
    }

    @Test
    void aMomentaryDipInTheSurplusRestartsTheWait() {
        SparePolicy policy = new SparePolicy(SECOND);
        policy.toRetire(bounds, 15, 12, 0);
        assertEquals(0, policy.toRetire(bounds, 15, 9, SECOND / 2), "load came back for a moment");
        assertEquals(0, policy.toRetire(bounds, 15, 12, SECOND));
        assertEquals(0, policy.toRetire(bounds, 15, 12, SECOND + SECOND / 2 - 1));
        assertEquals(1, policy.toRetire(bounds, 15, 12, 2 * SECOND));
    }

    @Test
    void aLowerMaxServersRetiresIdleWorkersAtOnceButNoBusyOne() {
        SparePolicy policy = new SparePolicy(SECOND);
        PoolBounds smaller = new PoolBounds(2, 4, 1, 3);
        assertEquals(3, policy.toRetire(smaller, 10, 3, 0), "only idle ones can go");
        assertEquals(6, policy.toRetire(smaller, 10, 8, 0));
    }
}
