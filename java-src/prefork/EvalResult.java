package prefork;

import java.util.Collection;
import java.util.Map;

/**
 * What one worker answered to code sent by {@link PreforkServer#evalInWorkers} or {@link PreforkServer#redefine}.
 *
 * @param pid the worker
 * @param status how it went
 * @param text the printed value; for an error, its root cause in one line ({@code "java.lang.RuntimeException:
 *     No such namespace: ps (line 3)"}, then the ex-data if any); or why there was no answer
 * @param details for an error: {@link #ROOT_CLASS} and {@link #ROOT_MESSAGE} always, {@link #EX_DATA},
 *     {@link #LINE} and {@link #COLUMN} when the child knows them (Clojure children do); empty otherwise
 */
public record EvalResult(long pid, Status status, String text, Map<String, String> details) {
    /** Key of {@link #details()}: the class name of the root exception. */
    public static final String ROOT_CLASS = "root-class";
    /** Key of {@link #details()}: the message of the root exception ("" when it has none). */
    public static final String ROOT_MESSAGE = "root-message";
    /** Key of {@link #details()}: the printed ex-data of the exception that carried some (Clojure). */
    public static final String EX_DATA = "ex-data";
    /** Key of {@link #details()}: the line of the code where it failed, counted as the manager counted it. */
    public static final String LINE = "line";
    /** Key of {@link #details()}: the column on that line. */
    public static final String COLUMN = "column";

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

    /** Copies {@code details}; null means none. */
    public EvalResult {
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** A result without details. */
    public EvalResult(long pid, Status status, String text) {
        this(pid, status, text, Map.of());
    }

    /** Whether the code was evaluated without an error. */
    public boolean ok() {
        return status == Status.OK;
    }

    /**
     * Whether a redefinition with these per-worker results stays in the record that later workers replay: yes,
     * unless it failed in every worker that answered (at least one error and no success). Timeouts do not count
     * either way.
     */
    public static boolean kept(Collection<EvalResult> results) {
        boolean failed = results.stream().anyMatch(r -> r.status == Status.ERROR);
        return !failed || results.stream().anyMatch(EvalResult::ok);
    }
}
