package prefork.manager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import prefork.EvalResult;
import prefork.internal.ControlProtocol.Eval;
import prefork.internal.ControlProtocol.Reply;
import prefork.internal.ControlProtocol.Serve;

/**
 * The manager's side of code sent to one pool's workers. The supervisor thread numbers each eval and writes it
 * into the control pipe of every target worker; replies arrive on the reply pipe's thread and complete the
 * caller's future. Redefinitions are also recorded, in memory, in order: a worker spawned later receives every
 * recorded change before {@code serve}, so the whole pool runs the same code until a reload clears the record.
 * Nothing is written to disk.
 */
final class CodeBroadcast {
    private long lastId;
    private final List<Eval> recorded = new ArrayList<>();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    /** What one eval waits for: the pids it went to, the answers so far. */
    private record Pending(List<Long> pids, Map<Long, EvalResult> results, CompletableFuture<Void> all) {
        void answer(Reply reply) {
            results.put(reply.pid(), reply.result());
            if (results.keySet().containsAll(pids)) {
                all.complete(null);
            }
        }
    }

    /** Supervisor thread: a new worker gets every recorded change, then {@code serve}. */
    void spawned(WorkerProcesses processes, long pid) {
        for (Eval eval : recorded) {
            if (!processes.send(pid, eval)) {
                return;
            }
        }
        processes.send(pid, new Serve());
    }

    /**
     * Supervisor thread: sends {@code code} to {@code pids}, recording it first when {@code record} is set.
     * Returns each worker's result by pid once all have answered or {@code timeout} has passed (then TIMEOUT).
     */
    CompletableFuture<Map<Long, EvalResult>> send(WorkerProcesses processes, List<Long> pids, String ns,
            String code, boolean record, Duration timeout) {
        Eval eval = new Eval(++lastId, ns, code);
        if (record) {
            recorded.add(eval);
        }
        Pending waiting = new Pending(List.copyOf(pids), new ConcurrentHashMap<>(), new CompletableFuture<>());
        pending.put(eval.id(), waiting);
        for (long pid : pids) {
            if (!processes.send(pid, eval)) {
                waiting.answer(new Reply(eval.id(), pid, EvalResult.Status.TIMEOUT,
                        "the worker is gone or its control pipe is full"));
            }
        }
        if (pids.isEmpty()) {
            waiting.all().complete(null);
        }
        return waiting.all().completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS).thenApply(done -> {
            pending.remove(eval.id());
            Map<Long, EvalResult> answered = new TreeMap<>(waiting.results());
            for (long pid : pids) {
                answered.putIfAbsent(pid, new EvalResult(pid, EvalResult.Status.TIMEOUT,
                        "no answer within " + timeout + " (busy on a connection? it applies the code after it)"));
            }
            return answered;
        });
    }

    /** Supervisor thread: forgets every recorded change (a reload starts workers clean from the code on disk). */
    void clearRecorded() {
        recorded.clear();
    }

    /** The reply pipe's thread: one line from a worker. */
    void onReply(String line) {
        Reply reply = Reply.decode(line);
        Pending waiting = reply == null ? null : pending.get(reply.id());
        if (waiting != null) {
            waiting.answer(reply);
        }
    }
}
