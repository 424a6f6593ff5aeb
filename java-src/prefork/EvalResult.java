package prefork;

/**
 * What one worker answered to code sent by {@link PreforkServer#evalInWorkers} or {@link PreforkServer#redefine}.
 *
 * @param pid the worker
 * @param status "ok", "error" (the code threw; {@code text} is the exception), or "timeout" (no answer in
 *     time: the worker is busy on a long connection and applies the code after it, or it is gone)
 * @param text the printed value, the error, or why there was no answer
 */
public record EvalResult(long pid, String status, String text) {
    public boolean ok() {
        return status.equals("ok");
    }
}
