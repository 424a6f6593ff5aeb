package prefork;

/**
 * What one worker answered to code sent by {@link PreforkServer#evalInWorkers} or {@link PreforkServer#redefine}.
 *
 * @param pid the worker
 * @param status how it went
 * @param text the printed value, the error (its root cause's class and message), or why there was no answer
 */
public record EvalResult(long pid, Status status, String text) {
    /** How an evaluation in one worker went. */
    public enum Status {
        /** Evaluated; {@code text} is the printed value. */
        OK,
        /** The code threw; {@code text} is the error. */
        ERROR,
        /**
         * No answer in time: the worker is busy on a long connection and applies the code after it, or it is
         * gone.
         */
        TIMEOUT;

        /** "ok", "error" or "timeout". */
        public String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Whether the code was evaluated without an error. */
    public boolean ok() {
        return status == Status.OK;
    }
}
