package prefork.manager;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import prefork.Log;

/** The supervisor's inbox: every other thread hands it work as tasks, which the supervisor thread runs. */
final class TaskQueue {
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

    void add(Runnable task) {
        tasks.add(task);
    }

    /** Runs what is queued on the caller's thread (once the supervisor has ended). */
    void drain() {
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
            task.run();
        }
    }

    /** Waits up to {@code waitMillis} for a task, then runs every queued one; a task that throws is logged. */
    void runWaiting(long waitMillis, Log log) throws InterruptedException {
        for (Runnable task = tasks.poll(waitMillis, TimeUnit.MILLISECONDS); task != null; task = tasks.poll()) {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.log("control task failed: " + e);
            }
        }
    }
}
