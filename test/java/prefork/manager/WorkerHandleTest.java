package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import prefork.ExitCause;

/** How a worker's raw wait status and what the supervisor knew become its exit cause. */
class WorkerHandleTest {
    private static int exited(int code) {
        return code << 8;
    }

    @Test
    void theJvmsDefaultTermOrIntExitWhileBootingIsAStopNotACrash() {
        WorkerHandle booting = new WorkerHandle(0, 100, 1, 0);
        assertEquals(ExitCause.STOPPED, booting.exitCause(exited(143), 0));
        assertEquals(ExitCause.STOPPED, booting.exitCause(exited(130), 0));
        assertEquals(ExitCause.CRASHED, booting.exitCause(exited(1), 0));
    }

    @Test
    void aWorkerAskedToStopThatDiesOfTermBeforeItsJvmHandlesTermStopped() {
        WorkerHandle booting = new WorkerHandle(0, 100, 1, 0);
        assertEquals(ExitCause.CRASHED, booting.exitCause(15, 0)); // a TERM the manager did not send
        booting.stopRequested = true;
        assertEquals(ExitCause.STOPPED, booting.exitCause(15, 0));
        assertEquals(ExitCause.CRASHED, booting.exitCause(11, 0)); // SIGSEGV is a crash, asked to stop or not
        booting.stopCause = ExitCause.MEMORY;
        assertEquals(ExitCause.MEMORY, booting.exitCause(15, 0));
    }

    @Test
    void aReadyWorkerExiting143Crashed() {
        // a ready worker has its own TERM handler and exits 0: 143 means something else ran System.exit(143)
        WorkerHandle ready = new WorkerHandle(0, 100, 1, 0);
        ready.ready = true;
        assertEquals(ExitCause.CRASHED, ready.exitCause(exited(143), 5));
        assertEquals(ExitCause.CRASHED, ready.exitCause(9, 5)); // killed by SIGKILL
        assertEquals(ExitCause.EXITED, ready.exitCause(exited(0), 5));
        ready.stopRequested = true;
        assertEquals(ExitCause.STOPPED, ready.exitCause(exited(0), 5));
        assertEquals(ExitCause.CRASHED, ready.exitCause(15, 5),
                "asked to stop, but a ready worker handles TERM itself: dying of one is something else's doing");
    }
}
