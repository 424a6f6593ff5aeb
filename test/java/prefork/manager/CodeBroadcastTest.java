package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.CapturingLog;
import prefork.EvalResult;
import prefork.internal.ControlProtocol;
import prefork.internal.ControlProtocol.Eval;
import prefork.internal.ControlProtocol.Reply;

/**
 * The record of redefinitions, driven by hand: what is kept, which workers are replaced, late answers, workers
 * spawned while a change is in flight, and reloads. A single-thread executor stands in for the supervisor.
 */
@Timeout(30)
class CodeBroadcastTest {
    private final ExecutorService supervisor = Executors.newSingleThreadExecutor();
    private final CapturingLog log = new CapturingLog();
    private final Map<Long, List<ControlProtocol.Message>> sent = new ConcurrentHashMap<>();
    private final List<Long> live = new CopyOnWriteArrayList<>(List.of(1L, 2L));
    private final Map<Long, String> replaced = new ConcurrentHashMap<>();
    private final CodeBroadcast code = new CodeBroadcast();

    CodeBroadcastTest() {
        WorkerProcesses processes = new WorkerProcesses() {
            @Override
            public long spawn(int slot, long maxRequests) {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean send(long pid, ControlProtocol.Message message) {
                sent.computeIfAbsent(pid, p -> new CopyOnWriteArrayList<>()).add(message);
                return true;
            }

            @Override
            public void kill(long pid) {}

            @Override
            public OptionalInt pollExit(long pid) {
                return OptionalInt.empty();
            }

            @Override
            public void close() {}
        };
        code.attach(supervisor::execute, () -> List.copyOf(live), replaced::put, processes, log);
    }

    @AfterEach
    void stop() {
        supervisor.shutdownNow();
    }

    private <T> T onSupervisor(Callable<T> task) throws Exception {
        return supervisor.submit(task).get(10, TimeUnit.SECONDS);
    }

    private java.util.concurrent.CompletableFuture<Map<Long, EvalResult>> redefine(String text, Duration timeout)
            throws Exception {
        return onSupervisor(() -> code.send(List.copyOf(live), "my.ns", text, true, timeout));
    }

    private void reply(long id, long pid, boolean ok) {
        Reply reply = ok ? new Reply(id, pid, EvalResult.Status.OK, "#'my.ns/f")
                : new Reply(id, pid, EvalResult.Status.ERROR, "java.lang.RuntimeException: boom (line 3)",
                        Map.of(EvalResult.ROOT_CLASS, "java.lang.RuntimeException", EvalResult.ROOT_MESSAGE, "boom",
                                EvalResult.LINE, "3"));
        String line = new String(reply.encode(), StandardCharsets.UTF_8);
        code.onReply(line.substring(0, line.length() - 1));
    }

    private long lastEvalId(long pid) {
        List<ControlProtocol.Message> messages = sent.get(pid);
        return ((Eval) messages.get(messages.size() - 1)).id();
    }

    /** What a worker spawned now is sent: the ids of the recorded evals, then serve. */
    private List<String> spawnedGets(long pid) throws Exception {
        onSupervisor(() -> {
            code.spawned(pid);
            return null;
        });
        List<String> out = new ArrayList<>();
        for (ControlProtocol.Message message : sent.get(pid)) {
            out.add(message instanceof Eval eval ? "eval " + eval.id() : "serve");
        }
        return out;
    }

    @Test
    void aChangeEveryWorkerAppliedIsRecordedAndReplayedToLaterWorkers() throws Exception {
        var verdict = redefine("(defn f [])", Duration.ofSeconds(10));
        long id = lastEvalId(1);
        reply(id, 1, true);
        reply(id, 2, true);
        Map<Long, EvalResult> results = verdict.get(10, TimeUnit.SECONDS);
        assertTrue(results.values().stream().allMatch(EvalResult::ok), results.toString());
        assertEquals(List.of("eval " + id, "serve"), spawnedGets(9));
        assertTrue(replaced.isEmpty());
    }

    @Test
    void aChangeThatFailsInEveryWorkerIsNotRecordedAndCarriesItsRootCause() throws Exception {
        var verdict = redefine("(defn f [] (x))", Duration.ofSeconds(10));
        long id = lastEvalId(1);
        reply(id, 1, false);
        reply(id, 2, false);
        EvalResult one = verdict.get(10, TimeUnit.SECONDS).get(1L);
        assertEquals(EvalResult.Status.ERROR, one.status());
        assertEquals("java.lang.RuntimeException", one.details().get(EvalResult.ROOT_CLASS));
        assertEquals("3", one.details().get(EvalResult.LINE));
        assertEquals(List.of("serve"), spawnedGets(9));
        assertTrue(replaced.isEmpty());
        assertEquals(2, log.lines.stream().filter(l -> l.contains("failed in worker pid=")
                && l.contains("java.lang.RuntimeException: boom (line 3)")).count(), log.lines.toString());
        assertTrue(log.lines.stream().anyMatch(l -> l.endsWith("not recorded, the workers keep their code")));
    }

    @Test
    void afterAPartialFailureTheFailingWorkerIsReplaced() throws Exception {
        var verdict = redefine("(defn f [])", Duration.ofSeconds(10));
        long id = lastEvalId(1);
        reply(id, 1, true);
        reply(id, 2, false);
        verdict.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(2L), List.copyOf(replaced.keySet()));
        assertTrue(replaced.get(2L).contains("could not apply recorded code change " + id + " in my.ns: "
                + "java.lang.RuntimeException: boom (line 3)"), replaced.get(2L));
        assertEquals(List.of("eval " + id, "serve"), spawnedGets(9));
    }

    @Test
    void lateAnswersThatDisagreeWithTheRecordReplaceTheirWorker() throws Exception {
        var kept = redefine("(defn f [])", Duration.ofMillis(100));
        long keptId = lastEvalId(1);
        reply(keptId, 1, true);
        assertEquals(EvalResult.Status.TIMEOUT, kept.get(10, TimeUnit.SECONDS).get(2L).status());
        assertTrue(replaced.isEmpty());
        reply(keptId, 2, false);
        onSupervisor(() -> null);
        assertTrue(replaced.containsKey(2L), "a late failure of a kept change");

        live.remove(2L);
        live.add(3L);
        var dropped = redefine("(defn g [])", Duration.ofMillis(100));
        long droppedId = lastEvalId(1);
        reply(droppedId, 1, false);
        dropped.get(10, TimeUnit.SECONDS);
        reply(droppedId, 3, true);
        onSupervisor(() -> null);
        assertTrue(replaced.get(3L).contains("which was not recorded"), String.valueOf(replaced.get(3L)));
    }

    @Test
    void aWorkerSpawnedWhileAChangeIsInFlightIsSentItOnceItIsKept() throws Exception {
        var verdict = redefine("(defn f [])", Duration.ofSeconds(10));
        long id = lastEvalId(1);
        assertEquals(List.of("serve"), spawnedGets(7), "not recorded yet");
        live.add(7L);
        reply(id, 1, true);
        reply(id, 2, true);
        verdict.get(10, TimeUnit.SECONDS);
        onSupervisor(() -> null);
        assertEquals(id, lastEvalId(7), "caught up after the serve");
        reply(id, 7, false);
        onSupervisor(() -> null);
        assertTrue(replaced.containsKey(7L));
    }

    @Test
    void aChangeInFlightDuringAReloadIsNotRecorded() throws Exception {
        var verdict = redefine("(defn f [])", Duration.ofSeconds(10));
        long id = lastEvalId(1);
        onSupervisor(() -> {
            code.clearRecorded();
            return null;
        });
        reply(id, 1, true);
        reply(id, 2, true);
        verdict.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("serve"), spawnedGets(9));
    }

    @Test
    void aReplyLineKeepsItsDetailsAndFitsTheLimit() {
        String huge = "x".repeat(10_000) + "\n\tend";
        Reply reply = new Reply(4, 42, EvalResult.Status.ERROR, huge,
                Map.of(EvalResult.ROOT_CLASS, "clojure.lang.ExceptionInfo", EvalResult.EX_DATA, "{:a \"tab\there\"}",
                        EvalResult.LINE, "12"));
        byte[] line = reply.encode();
        assertTrue(line.length <= ControlProtocol.MAX_REPLY_BYTES, "length " + line.length);
        String text = new String(line, StandardCharsets.UTF_8);
        assertEquals(1, text.chars().filter(c -> c == '\n').count());
        Reply back = Reply.decode(text.substring(0, text.length() - 1));
        assertEquals(reply.details(), back.details());
        assertTrue(huge.startsWith(back.text()) && back.text().length() > 1000);
        Reply small = Reply.decode(new String(new Reply(5, 43, EvalResult.Status.OK, "a\\b\nc\td").encode(),
                StandardCharsets.UTF_8).strip());
        assertEquals("a\\b\nc\td", small.text());
        assertTrue(small.details().isEmpty());
    }
}
