package prefork.manager;

/** Reads a raw waitpid status: how a worker ended, in words. */
final class WaitStatus {
    private WaitStatus() {}

    /** "exit status N", "killed by signal N (NAME)" or "status unknown" (-1: reaped elsewhere). */
    static String describe(int status) {
        if (status == -1) {
            return "status unknown";
        }
        int signal = signal(status);
        if (signal != 0) {
            return "killed by signal " + signal + " (" + signalName(signal) + ")";
        }
        return "exit status " + exitCode(status);
    }

    /** The signal that ended the process, or 0. */
    static int signal(int status) {
        return status & 0x7f;
    }

    /** The exit code of a process that exited normally. */
    static int exitCode(int status) {
        return (status >> 8) & 0xff;
    }

    private static String signalName(int signal) {
        jnr.constants.platform.Signal known = jnr.constants.platform.Signal.valueOf(signal);
        return known == null || !known.defined() ? "?" : known.name();
    }
}
