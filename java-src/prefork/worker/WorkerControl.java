package prefork.worker;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import prefork.BaseChild;
import prefork.EvalResult;
import prefork.internal.ChildAccess;
import prefork.internal.ControlProtocol;
import prefork.internal.ControlProtocol.Eval;
import prefork.internal.ControlProtocol.Message;
import prefork.internal.ControlProtocol.Reply;
import prefork.internal.ControlProtocol.Serve;
import prefork.internal.ControlProtocol.Stop;
import prefork.internal.Failures;
import prefork.internal.WorkerFds;

/**
 * The worker's side of the control pipe ({@link ControlProtocol}). A daemon thread reads it from the start:
 * EOF means the manager is gone and the worker halts at once, after a TERM to its process group; {@code stop}
 * asks for a graceful exit; evals and {@code serve} are queued. Once the child has booted, the recorded code
 * changes the manager sent first are applied in order, up to {@code serve} (one that fails fails the boot); then
 * a second thread applies later evals, holding the request lock, so code changes land between connections,
 * never during one, and answers each on the reply pipe, an error with its root cause
 * ({@link BaseChild#evalFailureDetails}).
 */
final class WorkerControl {
    /** How long a booted worker waits for the manager's {@code serve}, which it sends right after the spawn. */
    private static final long SERVE_WAIT_SECONDS = 120;
    private final BlockingQueue<Message> pending = new LinkedBlockingQueue<>();
    private final ReentrantLock requestLock = new ReentrantLock();
    private volatile Worker worker;
    private volatile boolean stopRequested;

    /** Starts the thread that watches the control pipe. */
    void watch() {
        Thread thread = new Thread(new ControlPipeReader(), "prefork-control");
        thread.setDaemon(true);
        thread.start();
    }

    /** The lock a worker holds while it handles a request. */
    ReentrantLock requestLock() {
        return requestLock;
    }

    /**
     * The child has booted: applies the recorded code changes the manager sent before {@code serve}, in order.
     * Throws ReplayFailure, naming the change and its root cause, when one of them fails: the worker then fails
     * its boot, since it would not run the code the rest of the pool runs.
     */
    void replayRecorded(BaseChild child) throws InterruptedException, ReplayFailure {
        for (Message message = pending.poll(SERVE_WAIT_SECONDS, TimeUnit.SECONDS); !(message instanceof Serve);
                message = pending.poll(SERVE_WAIT_SECONDS, TimeUnit.SECONDS)) {
            if (message == null) {
                Worker.log("the manager sent no serve within " + SERVE_WAIT_SECONDS + " s; serving anyway");
                return;
            }
            Eval eval = (Eval) message;
            Reply reply = evaluate(child, eval);
            if (reply.status() != EvalResult.Status.OK) {
                throw new ReplayFailure("cannot apply recorded code change " + eval.id() + " in " + eval.ns() + ": "
                        + reply.text());
            }
        }
    }

    /** The worker serves from now on: later evals are applied between requests; a stop that arrived takes effect. */
    void serving(Worker booted, BaseChild child) {
        worker = booted;
        if (stopRequested) {
            booted.stop();
        }
        Thread applier = new Thread(new QueuedEvalApplier(child), "prefork-eval");
        applier.setDaemon(true);
        applier.start();
    }

    /*
     * The two threads' bodies are named classes, not lambdas: the class data archive holds them ready-linked,
     * while a lambda's class is spun at run time in every worker, with the lambda machinery's first use
     * (measured: the boot path's five lambdas took up to 6 ms of a JDK 25 worker's boot, about 1 ms on 17;
     * BENCHMARKS.md). ClassDataArchiveIT checks that a worker spins none.
     */

    private final class ControlPipeReader implements Runnable {
        @Override
        public void run() {
            readControlPipe();
        }
    }

    private final class QueuedEvalApplier implements Runnable {
        private final BaseChild child;

        QueuedEvalApplier(BaseChild child) {
            this.child = child;
        }

        @Override
        public void run() {
            applyQueued(child);
        }
    }

    /** A recorded code change that this worker could not apply; its message is the worker's boot error. */
    static final class ReplayFailure extends Exception {
        ReplayFailure(String message) {
            super(message);
        }
    }

    /**
     * A graceful stop, asked by the manager's {@code stop} message or by TERM/INT to the worker itself
     * ({@link WorkerSignals}): stop accepting, finish the current request, exit 0. Before the child has booted,
     * it takes effect once it has. Idempotent, and safe from any thread.
     */
    void requestStop() {
        stopRequested = true;
        Worker current = worker;
        if (current != null) {
            current.stop();
        }
    }

    private void readControlPipe() {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new FileInputStream(WorkerFds.path(WorkerFds.CONTROL))))) {
            for (Message message = ControlProtocol.read(in); message != null; message = ControlProtocol.read(in)) {
                if (message instanceof Stop) {
                    requestStop();
                } else {
                    pending.add(message);
                }
            }
        } catch (IOException | RuntimeException e) {
            // without its control pipe the worker cannot be managed: treat it like the manager's death
        }
        terminateProcessGroup();
        Runtime.getRuntime().halt(0);
    }

    /**
     * The manager may be gone, and with it whoever would stop what this worker's handlers started: TERM to the
     * worker's process group (which this JVM leads), through kill(1) since workers load no native code.
     */
    private static void terminateProcessGroup() {
        try {
            new ProcessBuilder("kill", "-TERM", "--", "-" + ProcessHandle.current().pid())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(1, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // best effort: the worker exits in any case
        }
    }

    private void applyQueued(BaseChild child) {
        try (OutputStream replies = new FileOutputStream(WorkerFds.path(WorkerFds.REPLIES))) {
            while (true) {
                if (pending.take() instanceof Eval eval) {
                    Reply reply = evaluate(child, eval);
                    replies.write(reply.encode());
                    replies.flush();
                }
            }
        } catch (IOException | InterruptedException e) {
            Worker.log("cannot apply code changes any more: " + e);
        }
    }

    private Reply evaluate(BaseChild child, Eval eval) {
        long pid = ProcessHandle.current().pid();
        requestLock.lock();
        try {
            Object value = ChildAccess.get().evaluate(child, eval.ns(), eval.code());
            return new Reply(eval.id(), pid, EvalResult.Status.OK, String.valueOf(value));
        } catch (Throwable e) {
            Map<String, String> details = failureDetails(child, Failures.survive(e));
            return new Reply(eval.id(), pid, EvalResult.Status.ERROR, describe(details), details);
        } finally {
            requestLock.unlock();
        }
    }

    private static Map<String, String> failureDetails(BaseChild child, Throwable failure) {
        try {
            return ChildAccess.get().evalFailureDetails(child, failure);
        } catch (RuntimeException | LinkageError e) {
            Throwable root = Failures.root(failure);
            return Map.of(EvalResult.ROOT_CLASS, root.getClass().getName(),
                    EvalResult.ROOT_MESSAGE, String.valueOf(root.getMessage()));
        }
    }

    /** The root cause in one line: {@code "class: message (line 3) {ex-data}"}. */
    private static String describe(Map<String, String> details) {
        String message = details.getOrDefault(EvalResult.ROOT_MESSAGE, "");
        return details.getOrDefault(EvalResult.ROOT_CLASS, "?") + (message.isEmpty() ? "" : ": " + message)
                + (details.containsKey(EvalResult.LINE) ? " (line " + details.get(EvalResult.LINE) + ")" : "")
                + (details.containsKey(EvalResult.EX_DATA) ? " " + details.get(EvalResult.EX_DATA) : "");
    }
}
