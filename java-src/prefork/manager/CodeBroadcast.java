package prefork.manager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import prefork.EvalResult;
import prefork.Log;
import prefork.internal.ControlProtocol.Eval;
import prefork.internal.ControlProtocol.Reply;
import prefork.internal.ControlProtocol.Serve;

/**
 * The manager's side of code sent to one pool's workers, and the record of redefinitions (in memory, in order)
 * that every worker spawned later receives before {@code serve}. The record holds only what the pool runs: a
 * redefinition is judged once every worker has answered or its timeout has passed, and kept unless it failed in
 * every worker that answered ({@link EvalResult#kept}). A worker whose code then differs from the record (it
 * failed a kept change, or applied a dropped one, even late) is marked stale and replaced;
 * workers spawned while the change was in flight are sent it too. Everything but {@link #onReply} runs on the
 * supervisor thread; replies and timeouts are handed to it. Nothing is written to disk.
 */
final class CodeBroadcast {
    /** At most this many judged changes wait for late answers; older ones are forgotten. */
    private static final int MAX_AWAITING_LATE = 64;

    private Consumer<Runnable> supervisor = Runnable::run;
    private Supplier<List<Long>> livePids = List::of;
    private BiConsumer<Long, String> replaceStale = (pid, why) -> {};
    private WorkerProcesses processes;
    private Log log = line -> {};
    private long lastId;
    /** Incremented by every reload: a change sent before it is never recorded after it. */
    private long epoch;
    private final List<Eval> recorded = new ArrayList<>();
    private final Map<Long, Change> changes = new LinkedHashMap<>();

    /**
     * Connects the record to the supervisor that owns the pool, once, from its constructor: {@code submit} runs a
     * task on the supervisor thread, {@code live} lists the pids of the workers not stopping, {@code replace}
     * marks a worker stale (with the reason) and asks it to stop, so that its replacement replays the record.
     */
    void attach(Consumer<Runnable> submit, Supplier<List<Long>> live, BiConsumer<Long, String> replace,
            WorkerProcesses workers, Log managerLog) {
        this.supervisor = submit;
        this.livePids = live;
        this.replaceStale = replace;
        this.processes = workers;
        this.log = managerLog;
    }

    /** A new worker gets every recorded change, then {@code serve}. */
    void spawned(long pid) {
        for (Eval eval : recorded) {
            if (!processes.send(pid, eval)) {
                return;
            }
        }
        processes.send(pid, new Serve());
    }

    /**
     * Sends {@code code} to {@code pids}; a redefinition ({@code record}) is judged as the class comment says.
     * Completes with each worker's result by pid once all have answered or {@code timeout} has passed (TIMEOUT).
     */
    CompletableFuture<Map<Long, EvalResult>> send(List<Long> pids, String ns, String code, boolean record,
            Duration timeout) {
        Change change = new Change(new Eval(++lastId, ns, code), record, epoch, pids, timeout);
        changes.put(change.eval.id(), change);
        for (long pid : pids) {
            if (!processes.send(pid, change.eval)) {
                change.answer(new EvalResult(pid, EvalResult.Status.TIMEOUT, "the worker is gone or its control pipe is full"));
            }
        }
        if (change.allAnswered()) {
            judge(change);
        } else {
            CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> supervisor.accept(() -> judge(change)));
        }
        return change.verdict;
    }

    /** Forgets every recorded change (a reload starts workers clean from the code on disk). */
    void clearRecorded() {
        recorded.clear();
        epoch++;
    }

    /** The reply pipe's thread: one line from a worker, handed to the supervisor thread. */
    void onReply(String line) {
        Reply reply = Reply.decode(line);
        if (reply != null) {
            supervisor.accept(() -> answered(reply.id(), reply.result()));
        }
    }

    private void answered(long id, EvalResult result) {
        Change change = changes.get(id);
        if (change == null || !change.answer(result)) {
            return;
        }
        if (!change.judged()) {
            if (change.allAnswered()) {
                judge(change);
            }
            return;
        }
        logFailure(change, result);
        checkAgainstRecord(change, result);
        if (change.allAnswered()) {
            changes.remove(id);
        }
    }

    private void judge(Change change) {
        if (change.judged()) {
            return;
        }
        Map<Long, EvalResult> results = change.results();
        results.values().forEach(result -> logFailure(change, result));
        if (change.record) {
            change.kept = EvalResult.kept(results.values()) && change.epoch == epoch;
            long ok = results.values().stream().filter(EvalResult::ok).count();
            log.log(change.describe() + ": applied in " + ok + " of " + results.size() + " workers; "
                    + (change.kept ? "recorded" : "not recorded, the workers keep their code"));
            if (change.kept) {
                recorded.add(change.eval);
                catchUp(change);
            }
            results.values().forEach(result -> checkAgainstRecord(change, result));
        }
        change.verdict.complete(results);
        if (change.allAnswered()) {
            changes.remove(change.eval.id());
        }
        forgetOldest();
    }

    /** Workers spawned while the change was in flight got the record without it: they are sent it now. */
    private void catchUp(Change change) {
        for (long pid : livePids.get()) {
            if (!change.expects(pid)) {
                change.expect(pid);
                if (!processes.send(pid, change.eval)) {
                    change.answer(new EvalResult(pid, EvalResult.Status.TIMEOUT, "the worker is gone"));
                }
            }
        }
    }

    private void checkAgainstRecord(Change change, EvalResult result) {
        if (!change.record || result.status() == EvalResult.Status.TIMEOUT) {
            return;
        }
        if (change.kept && !result.ok()) {
            replaceStale.accept(result.pid(), "could not apply recorded " + change.describe() + ": " + result.text());
        } else if (!change.kept && result.ok()) {
            replaceStale.accept(result.pid(), "applied " + change.describe() + ", which was not recorded");
        }
    }

    private void logFailure(Change change, EvalResult result) {
        if (result.status() == EvalResult.Status.ERROR) {
            log.log(change.describe() + " failed in worker pid=" + result.pid() + ": " + result.text());
        }
    }

    private void forgetOldest() {
        Iterator<Change> oldest = changes.values().iterator();
        while (changes.size() > MAX_AWAITING_LATE && oldest.hasNext()) {
            if (oldest.next().judged()) {
                oldest.remove();
            }
        }
    }
}
