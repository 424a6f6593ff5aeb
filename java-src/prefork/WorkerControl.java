package prefork;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import prefork.internal.EvalProtocol;
import prefork.internal.EvalProtocol.Reply;
import prefork.internal.EvalProtocol.Request;
import prefork.internal.WorkerContract;

/**
 * The worker's side of the control pipe. A daemon thread reads it from the start: EOF means the manager is gone
 * and the worker halts at once; "stop" asks for a graceful exit; "eval" requests are queued. Once the child has
 * booted, a second thread applies queued code in order, holding the request lock, so code changes land between
 * connections, never during one; each result goes back as one line on the shared reply pipe.
 */
final class WorkerControl {
    private final BlockingQueue<Request> pending = new LinkedBlockingQueue<>();
    private final ReentrantLock requestLock = new ReentrantLock();
    private volatile Worker worker;
    private volatile boolean stopRequested;
    private long lastApplied;

    /** Starts the thread that watches the control pipe. */
    void watch() {
        Thread thread = new Thread(this::readControlPipe, "prefork-control");
        thread.setDaemon(true);
        thread.start();
    }

    /** The lock a worker holds while it handles a request. */
    ReentrantLock requestLock() {
        return requestLock;
    }

    /**
     * The child has booted: replays the code in {@code replayFile} (evaluated in earlier workers, in order),
     * then starts applying queued requests. A stop that arrived during boot takes effect now.
     */
    void booted(Worker booted, BaseChild child, Path replayFile) {
        replay(child, replayFile);
        worker = booted;
        if (stopRequested) {
            booted.stop();
        }
        Thread applier = new Thread(() -> applyQueued(child), "prefork-eval");
        applier.setDaemon(true);
        applier.start();
    }

    private void readControlPipe() {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new FileInputStream("/proc/self/fd/" + WorkerContract.CONTROL)))) {
            for (String line = EvalProtocol.readLine(in); line != null; line = EvalProtocol.readLine(in)) {
                if (line.equals("stop")) {
                    stopRequested = true;
                    Worker current = worker;
                    if (current != null) {
                        current.stop();
                    }
                } else if (line.startsWith("eval ")) {
                    pending.add(Request.readBody(line, in));
                }
            }
        } catch (IOException | RuntimeException e) {
            // without its control pipe the worker cannot be managed: treat it like the manager's death
        }
        Runtime.getRuntime().halt(0);
    }

    private void replay(BaseChild child, Path replayFile) {
        if (replayFile == null || !Files.exists(replayFile)) {
            return;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(replayFile)))) {
            for (String line = EvalProtocol.readLine(in); line != null; line = EvalProtocol.readLine(in)) {
                Request request = Request.readBody(line, in);
                Reply reply = evaluate(child, request);
                if (!reply.ok()) {
                    Worker.log("replaying code change " + request.id() + " in " + request.ns() + " failed: " + reply.text());
                }
            }
        } catch (IOException e) {
            // a record still being appended: the broadcast that follows it reaches this worker too
        }
    }

    private void applyQueued(BaseChild child) {
        try (OutputStream replies = new FileOutputStream("/proc/self/fd/" + WorkerContract.REPLIES)) {
            while (true) {
                Request request = pending.take();
                Reply reply = request.id() <= lastApplied
                        ? new Reply(request.id(), ProcessHandle.current().pid(), true, "(already applied at boot)")
                        : evaluate(child, request);
                replies.write(reply.encode());
                replies.flush();
            }
        } catch (IOException | InterruptedException e) {
            Worker.log("cannot apply code changes any more: " + e);
        }
    }

    private Reply evaluate(BaseChild child, Request request) {
        long pid = ProcessHandle.current().pid();
        requestLock.lock();
        try {
            Object value = child.evaluate(request.ns(), request.code());
            return new Reply(request.id(), pid, true, String.valueOf(value));
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            return new Reply(request.id(), pid, false, e.toString());
        } finally {
            lastApplied = Math.max(lastApplied, request.id());
            requestLock.unlock();
        }
    }
}
