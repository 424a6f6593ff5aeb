package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import prefork.internal.Scoreboard;

/** How long the supervisor waits between turns, from what the last turn left. */
class TurnPaceTest {
    private final Path file;
    private final Scoreboard scoreboard;
    private final TurnPace pace = new TurnPace();
    private final WorkerHandle a = new WorkerHandle(0, 100, 1, 0), b = new WorkerHandle(1, 101, 1, 0);

    TurnPaceTest() throws IOException {
        file = Files.createTempFile("prefork-pace-test", ".shm");
        Files.write(file, new byte[(int) Scoreboard.SIZE]);
        scoreboard = Scoreboard.map(file);
        scoreboard.claim(0, 100);
        scoreboard.claim(1, 101);
    }

    @AfterEach
    void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    private long next(List<WorkerHandle> pool) {
        return pace.next(pool, scoreboard, false);
    }

    @Test
    void fiveMillisecondsWhileAWorkerBootsThenFiftyWhileThePoolChangesThenTwoHundredOnceItIsQuiet() {
        assertEquals(TurnPace.WATCHING_MILLIS, next(List.of(a, b)), "both boot");
        a.ready = b.ready = true;
        scoreboard.setState(0, Scoreboard.IDLE);
        scoreboard.setState(1, Scoreboard.IDLE);
        assertEquals(TurnPace.CHANGING_MILLIS, next(List.of(a, b)), "both turned idle since the last turn");
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a, b)), "nothing changed");
        scoreboard.markBusy(0, new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 4242));
        assertEquals(TurnPace.CHANGING_MILLIS, next(List.of(a, b)), "one turned busy");
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a, b)), "busy on one long connection: quiet");
        scoreboard.markIdle(0, 1);
        assertEquals(TurnPace.CHANGING_MILLIS, next(List.of(a, b)), "a request finished");
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a, b)));
        assertEquals(TurnPace.CHANGING_MILLIS, next(List.of(a)), "a worker went");
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a)));
        assertEquals(TurnPace.CHANGING_MILLIS, pace.next(List.of(a), scoreboard, true), "shutting down, or a gone worker's group lingers");
    }

    @Test
    void fiveMillisecondsForASecondAfterAWorkersOutputEndedAndFiftyWhileOneIsStopping() {
        a.ready = b.ready = true;
        next(List.of(a, b));
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a, b)));
        a.outputEndedNanos = System.nanoTime();
        assertEquals(TurnPace.WATCHING_MILLIS, next(List.of(a, b)), "exiting: reaped as soon as it can be");
        a.outputEndedNanos = System.nanoTime() - TurnPace.EXITING_NANOS;
        assertEquals(TurnPace.QUIET_MILLIS, next(List.of(a, b)), "a pipe that ended a second ago: the usual pace");
        b.stopRequested = true;
        assertEquals(TurnPace.CHANGING_MILLIS, next(List.of(a, b)), "asked to stop, not gone yet");
    }
}
