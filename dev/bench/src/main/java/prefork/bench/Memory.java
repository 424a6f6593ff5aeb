package prefork.bench;

import java.util.ArrayList;
import java.util.List;

/** RSS and PSS (KiB) of a server's main process and of each of its descendants (prefork's workers). */
record Memory(long managerRssKib, long managerPssKib, List<long[]> workers) {
    static Memory of(ProcessHandle root) {
        List<ProcessHandle> tree = Procs.tree(root);
        long[] manager = Procs.rssPssKib(root.pid());
        List<long[]> workers = new ArrayList<>();
        for (ProcessHandle worker : tree.subList(1, tree.size())) {
            long[] figures = Procs.rssPssKib(worker.pid());
            if (figures[0] > 0) {
                workers.add(figures);
            }
        }
        return new Memory(manager[0], manager[1], workers);
    }

    long totalRssKib() {
        return managerRssKib + workers.stream().mapToLong(w -> w[0]).sum();
    }

    long totalPssKib() {
        return managerPssKib + workers.stream().mapToLong(w -> w[1]).sum();
    }

    /** Mean RSS of one worker in KiB, NaN without workers. */
    double workerRssKib() {
        return workers.stream().mapToLong(w -> w[0]).average().orElse(Double.NaN);
    }

    /** Mean PSS of one worker in KiB, NaN without workers. */
    double workerPssKib() {
        return workers.stream().mapToLong(w -> w[1]).average().orElse(Double.NaN);
    }
}
