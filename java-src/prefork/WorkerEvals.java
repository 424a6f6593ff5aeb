package prefork;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import prefork.internal.EvalProtocol;
import prefork.internal.EvalProtocol.Reply;
import prefork.internal.EvalProtocol.Request;
import prefork.internal.WorkerProcesses;

/**
 * The manager's side of code sent to workers: numbers each request, writes it into the control pipe of each
 * target worker, and gathers their replies (read by the reply pipe's thread). Redefinitions are also appended
 * to the replay file, which workers spawned later evaluate at boot, so the whole pool stays consistent until a
 * reload starts clean.
 */
final class WorkerEvals {
    private final Path replayFile;
    private final WorkerProcesses processes;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Map<Long, EvalResult>> pending = new ConcurrentHashMap<>();

    WorkerEvals(Path replayFile, WorkerProcesses processes) {
        this.replayFile = replayFile;
        this.processes = processes;
    }

    /** A fresh, private (0600) replay file in the temp directory. */
    static Path createReplayFile() throws IOException {
        Path file = Files.createTempFile("prefork-replay-", ".log");
        file.toFile().deleteOnExit();
        return file;
    }

    Path replayFile() {
        return replayFile;
    }

    /** Sends {@code code} to {@code pids} and waits up to {@code timeout} for each answer; logs it for replay if asked. */
    Map<Long, EvalResult> send(String ns, String code, List<Long> pids, Duration timeout, boolean replay) {
        Request request = new Request(ids.incrementAndGet(), ns, code);
        Map<Long, EvalResult> results = new ConcurrentHashMap<>();
        pending.put(request.id(), results);
        try {
            if (replay) {
                appendToReplay(request);
            }
            byte[] message = request.encode();
            for (long pid : pids) {
                if (!processes.send(pid, message)) {
                    results.put(pid, new EvalResult(pid, "timeout", "the worker is gone or its control pipe is full"));
                }
            }
            awaitAll(results, pids, timeout);
        } finally {
            pending.remove(request.id());
        }
        Map<Long, EvalResult> answered = new TreeMap<>(results);
        for (long pid : pids) {
            answered.putIfAbsent(pid, new EvalResult(pid, "timeout",
                    "no answer within " + timeout + " (busy on a connection? it applies the code after it)"));
        }
        return answered;
    }

    /** Forgets every redefinition (a reload starts workers clean from the code on disk). */
    synchronized void clearReplay() {
        try {
            Files.write(replayFile, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Called with each line from the reply pipe. */
    void onReply(String line) {
        Reply reply = Reply.decode(line);
        if (reply == null) {
            return;
        }
        Map<Long, EvalResult> results = pending.get(reply.id());
        if (results != null) {
            results.put(reply.pid(), new EvalResult(reply.pid(), reply.ok() ? "ok" : "error", reply.text()));
            synchronized (results) {
                results.notifyAll();
            }
        }
    }

    void deleteReplayFile() {
        try {
            Files.deleteIfExists(replayFile);
        } catch (IOException ignored) {
            // a temp file; deleteOnExit covers it
        }
    }

    private synchronized void appendToReplay(Request request) {
        try (OutputStream out = Files.newOutputStream(replayFile, StandardOpenOption.APPEND)) {
            EvalProtocol.append(out, request);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the code change for later workers", e);
        }
    }

    private static void awaitAll(Map<Long, EvalResult> results, List<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (results) {
            while (!results.keySet().containsAll(pids)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(results, Math.min(left, 50_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
