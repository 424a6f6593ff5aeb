package prefork.bench;

import java.util.List;

/**
 * Reads the CPU used so far by a server's process tree, by this load generator, and by the whole machine; also
 * the tree's size and how many workers the server has spawned so far.
 */
final class CpuMeter {
    record Reading(long serverTicks, long clientTicks, long machineBusy, long machineTotal, int processes,
            long spawned) {
        double serverMillis() {
            return serverTicks * Procs.MILLIS_PER_TICK;
        }

        double clientMillis() {
            return clientTicks * Procs.MILLIS_PER_TICK;
        }
    }

    private final ServerProcess server;

    CpuMeter(ServerProcess server) {
        this.server = server;
    }

    Reading read() {
        long[] machine = Procs.machineTicks();
        List<ProcessHandle> tree = Procs.tree(server.handle());
        long serverTicks = tree.stream().mapToLong(p -> Procs.cpuTicks(p.pid())).sum();
        return new Reading(serverTicks, Procs.cpuTicks(ProcessHandle.current().pid()), machine[0], machine[1],
                tree.size(), server.spawned());
    }

    /** CPU used between two readings by everything but server and client, in percent of all cores (>= 0). */
    static double otherPercent(Reading before, Reading after) {
        long total = after.machineTotal() - before.machineTotal();
        long other = (after.machineBusy() - before.machineBusy()) - (after.serverTicks() - before.serverTicks())
                - (after.clientTicks() - before.clientTicks());
        return total <= 0 ? 0 : Math.max(0, 100.0 * other / total);
    }
}
