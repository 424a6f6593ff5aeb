package prefork.manager;

import java.io.IOException;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import prefork.internal.Scoreboard;
import prefork.internal.ControlProtocol;
import prefork.internal.WorkerFds;

/**
 * A fake launcher for supervisor unit tests: "workers" are scoreboard slots the test drives by hand. A spawned
 * worker becomes ready at once (or fails its boot, when {@link #bootFails} is set); tests make workers busy or
 * idle, or kill them, and the supervisor sees it through the same scoreboard and pollExit as with real ones.
 */
final class FakeWorkers implements WorkerProcesses {
    private final Scoreboard scoreboard;
    private final AtomicLong nextPid = new AtomicLong(1000);
    private final Map<Long, Integer> slots = new ConcurrentHashMap<>();
    private final Map<Long, Integer> exits = new ConcurrentHashMap<>();
    final AtomicInteger spawns = new AtomicInteger();
    volatile boolean bootFails;
    volatile boolean bootHangs;
    /** Told of each fake worker's exit, as WorkerOutput tells the supervisor of a real one's (its pipe ended). */
    volatile java.util.function.LongConsumer exitListener = pid -> {};
    /** Exits are not told to {@link #exitListener}: a process the worker started still holds its output pipe. */
    volatile boolean exitsUntold;

    FakeWorkers(Scoreboard scoreboard) {
        this.scoreboard = scoreboard;
    }

    @Override
    public long spawn(int slot, long maxRequests) throws IOException {
        long pid = nextPid.incrementAndGet();
        spawns.incrementAndGet();
        slots.put(pid, slot);
        scoreboard.claim(slot, pid);
        if (bootHangs) {
            return pid;
        }
        if (bootFails) {
            scoreboard.setMessage(slot, "cannot boot: fake failure");
            exited(pid, WorkerFds.EXIT_BOOT_FAILED << 8);
        } else {
            scoreboard.setState(slot, Scoreboard.IDLE);
        }
        return pid;
    }

    @Override
    public boolean send(long pid, ControlProtocol.Message message) {
        Integer slot = slots.get(pid);
        if (message instanceof ControlProtocol.Stop && slot != null
                && (scoreboard.compareAndSetState(slot, Scoreboard.IDLE, Scoreboard.STOPPING)
                        || scoreboard.compareAndSetState(slot, Scoreboard.STARTING, Scoreboard.STOPPING))) {
            exited(pid, 0); // a booting worker asked to stop exits 0 without ever being ready, as a real one may
        }
        return slot != null;
    }

    @Override
    public void kill(long pid) {
        if (slots.containsKey(pid)) {
            exited(pid, 9);
        }
    }

    private void exited(long pid, int status) {
        exits.put(pid, status);
        if (!exitsUntold) {
            exitListener.accept(pid);
        }
    }

    @Override
    public OptionalInt pollExit(long pid) {
        Integer status = exits.remove(pid);
        if (status == null) {
            return OptionalInt.empty();
        }
        slots.remove(pid);
        return OptionalInt.of(status);
    }

    @Override
    public void close() {}

    /** Makes {@code count} idle workers busy, as if connections arrived; returns how many were. */
    int occupy(int count) {
        int done = 0;
        for (int slot : slots.values()) {
            if (done < count && scoreboard.state(slot) == Scoreboard.IDLE) {
                scoreboard.markBusy(slot, new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 4242));
                done++;
            }
        }
        return done;
    }

    /** Every worker still booting (spawned while {@link #bootHangs}) becomes ready. */
    void finishBoots() {
        slots.values().forEach(slot -> scoreboard.compareAndSetState(slot, Scoreboard.STARTING, Scoreboard.IDLE));
    }

    /** Every busy worker finishes its request. */
    void releaseAll() {
        slots.values().forEach(slot -> scoreboard.compareAndSetState(slot, Scoreboard.BUSY, Scoreboard.IDLE));
    }
}
