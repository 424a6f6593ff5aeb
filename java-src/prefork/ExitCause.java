package prefork;

import prefork.internal.WorkerContract;

/** Names why a worker exited, from what the supervisor knew and its wait status. */
final class ExitCause {
    private ExitCause() {}

    /** One of "timed-out", "boot-timed-out", "killed", "stopped", "recycled", "boot-failed", "crashed", "exited". */
    static String of(WorkerHandle worker, int status, long requests) {
        if (worker.killed) {
            return worker.killCause;
        }
        if (status == -1 || signal(status) != 0) {
            return "crashed";
        }
        int code = (status >> 8) & 0xff;
        if (code == WorkerContract.EXIT_BOOT_FAILED && !worker.ready) {
            return "boot-failed";
        }
        if (code != 0) {
            return "crashed";
        }
        if (worker.stopRequested) {
            return "stopped";
        }
        return worker.maxRequests > 0 && requests >= worker.maxRequests ? "recycled" : "exited";
    }

    /** "exit status N", "killed by signal N (NAME)" or "status unknown". */
    static String describe(int status) {
        if (status == -1) {
            return "status unknown";
        }
        int signal = signal(status);
        if (signal != 0) {
            return "killed by signal " + signal + " (" + signalName(signal) + ")";
        }
        return "exit status " + ((status >> 8) & 0xff);
    }

    private static int signal(int status) {
        return status & 0x7f;
    }

    private static String signalName(int signal) {
        jnr.constants.platform.Signal known = jnr.constants.platform.Signal.valueOf(signal);
        return known == null || !known.defined() ? "?" : known.name();
    }
}
