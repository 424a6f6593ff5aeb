package prefork;

import java.util.Locale;

/** Why a worker exited, as the manager's log, {@link ServerStats#exits()} and {@link ManagerHooks#workerExited} name it. */
public enum ExitCause {
    /** Busy on one request longer than the timeout option: killed. */
    TIMED_OUT,
    /** Not ready within startTimeout: killed. */
    BOOT_TIMED_OUT,
    /** Killed by the manager: it did not stop within gracefulTimeout, or the shutdown deadline passed. */
    KILLED,
    /** Asked to stop (retired, reloaded, shut down) and exited cleanly. */
    STOPPED,
    /** Exited cleanly after its maxRequests. */
    RECYCLED,
    /** Asked to stop because it used more memory than the maxWorkerMemory option allows, and exited. */
    MEMORY,
    /** Could not boot (its child class or initialize failed). */
    BOOT_FAILED,
    /** Died by a signal the manager did not send, or exited with a non-zero status. */
    CRASHED,
    /** Exited cleanly without being asked to. */
    EXITED;

    /** The name in logs and stats: "timed-out", "boot-failed", ... */
    public String text() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public String toString() {
        return text();
    }
}
