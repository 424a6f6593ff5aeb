package prefork.manager;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import prefork.EvalResult;
import prefork.internal.ControlProtocol.Eval;

/**
 * One piece of code sent to a pool's workers ({@link CodeBroadcast}): the workers expected to answer, the
 * answers so far, and, once judged, the verdict its caller waits for. Supervisor thread only.
 */
final class Change {
    final Eval eval;
    /** A redefinition, judged for the record (else a one-off eval). */
    final boolean record;
    /** The record's epoch when it was sent (see {@link CodeBroadcast#clearRecorded()}). */
    final long epoch;
    final CompletableFuture<Map<Long, EvalResult>> verdict = new CompletableFuture<>();
    /** Set by the judgement: whether it went into the record. */
    boolean kept;
    private final Duration timeout;
    private final Set<Long> expected;
    private final Map<Long, EvalResult> answers = new TreeMap<>();

    Change(Eval eval, boolean record, long epoch, List<Long> pids, Duration timeout) {
        this.eval = eval;
        this.record = record;
        this.epoch = epoch;
        this.timeout = timeout;
        this.expected = new LinkedHashSet<>(pids);
    }

    /** Takes a worker's first answer; returns false for a worker not expected, or one that has answered. */
    boolean answer(EvalResult result) {
        if (!expected.contains(result.pid()) || answers.containsKey(result.pid())) {
            return false;
        }
        answers.put(result.pid(), result);
        return true;
    }

    boolean expects(long pid) {
        return expected.contains(pid);
    }

    /** Also waits for {@code pid} (a worker sent the change after the judgement). */
    void expect(long pid) {
        expected.add(pid);
    }

    boolean allAnswered() {
        return answers.keySet().containsAll(expected);
    }

    boolean judged() {
        return verdict.isDone();
    }

    /** Every expected worker's result: its answer, or TIMEOUT. */
    Map<Long, EvalResult> results() {
        Map<Long, EvalResult> results = new TreeMap<>(answers);
        for (long pid : expected) {
            results.putIfAbsent(pid, new EvalResult(pid, EvalResult.Status.TIMEOUT, "no answer within " + timeout
                    + " (busy on a connection? it applies the code after it)"));
        }
        return results;
    }

    /** "code change 3 in my.ns" (a redefinition) or "eval 4 in my.ns". */
    String describe() {
        return (record ? "code change " : "eval ") + eval.id() + " in " + eval.ns();
    }
}
