package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * Slow and silent clients: the idleTimeout closes a connection that sends nothing while the handler reads it
 * (EchoChild reads through conn()), without killing the worker, so silent clients cannot hold the pool until
 * the busy timeout; a server-first handler is still called at once;
 * a saturated pool is logged once, with the accept queue's length, and again when it clears.
 */
@Timeout(90)
class IdleTimeoutIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void silentClientsAreClosedAfterTheIdleTimeoutAndTheWorkersServeOthers() throws Exception {
        try (PreforkServer server = echo(2).idleTimeout(Duration.ofSeconds(1)).start()) {
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    silent.add(Clients.connect(server.port()));
                }
                Await.until(Duration.ofSeconds(10), "both workers hold a silent client", () -> server.stats().busy() == 2);
                long connected = System.nanoTime();
                for (Socket socket : silent) {
                    assertEquals(-1, socket.getInputStream().read(), "closed by the server");
                }
                long closedAfter = (System.nanoTime() - connected) / 1_000_000;
                assertTrue(closedAfter < 5_000, "after about the idle timeout: " + closedAfter + " ms");
                assertEquals("hello", Clients.exchange(server.port(), "hello"), "a real client is served");
            } finally {
                Clients.closeAll(silent);
            }
            assertEquals(2, server.stats().spawned(), "no worker was killed for it");
        }
    }

    @Test
    void aClientThatStopsSendingMidRequestIsClosedWithOneLogLine() throws Exception {
        try (PreforkServer server = echo(1).idleTimeout(Duration.ofSeconds(1)).start();
                Socket socket = Clients.connect(server.port())) {
            assertEquals("first", Clients.send(socket, "first"), "the handler is reading");
            long silentSince = System.nanoTime();
            InputStream in = socket.getInputStream();
            assertEquals(-1, in.read(), "the server hangs up");
            long after = (System.nanoTime() - silentSince) / 1_000_000;
            assertTrue(after >= 900 && after < 5_000, "after the idle timeout: " + after + " ms");
            Await.until(Duration.ofSeconds(5), "the log says why",
                    () -> log.contains("connection idle for 1000 ms (idleTimeout) while the handler read: closed"));
            assertTrue(log.lines.stream().noneMatch(line -> line.contains("\tat ")), "no stack trace");
            assertEquals(1, server.stats().spawned(), "the worker survived");
        }
    }

    @Test
    void aHandlerThatWaitsOnSomethingElseIsNotCutByTheIdleTimeout() throws Exception {
        // the idle timeout bounds a read of the connection, not the handler's own work: 2 s asleep > 1 s timeout
        try (PreforkServer server = PreforkServer.builder(prefork.testchildren.OutcomeChild.class).port(0)
                .minServers(1).maxServers(1).minSpareServers(0).maxSpareServers(1).idleTimeout(Duration.ofSeconds(1))
                .log(log).start(); Socket socket = Clients.connect(server.port())) {
            long at = System.nanoTime();
            String reply = Clients.send(socket, "think");
            long after = (System.nanoTime() - at) / 1_000_000;
            assertTrue(reply != null && Long.parseLong(reply) > 0, "answered with the pid: " + reply);
            assertTrue(after >= 1_900, "after the handler's sleep: " + after + " ms");
            assertTrue(log.lines.stream().noneMatch(line -> line.contains("idleTimeout")), log.lines.toString());
        }
    }

    @Test
    void aHandlerThatSpeaksFirstIsCalledAtOnce() throws Exception {
        try (PreforkServer server = PreforkServer.builder(prefork.examples.PidChild.class).port(0).minServers(1)
                .maxServers(1).minSpareServers(0).maxSpareServers(1).idleTimeout(Duration.ofSeconds(5)).log(log).start();
                Socket socket = Clients.connect(server.port())) {
            long at = System.nanoTime();
            assertTrue(Long.parseLong(Clients.readLine(socket)) > 0, "the pid, without a byte sent");
            assertTrue((System.nanoTime() - at) / 1_000_000 < 4_000, "not after the idle timeout");
        }
    }

    @Test
    void aSaturatedPoolIsLoggedOnceWithItsAcceptQueueAndAgainWhenItClears() throws Exception {
        List<Socket> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
        ManagerHooks queueFirst = new ManagerHooks() {
            @Override
            public void preInitChildren(PreforkServer server) throws IOException {
                for (int i = 0; i < 5; i++) { // before any worker runs: 2 will be taken, 3 stay queued
                    clients.add(Clients.connect(server.port()));
                }
            }
        };
        try (PreforkServer server = echo(2).idleTimeout(Duration.ZERO).hooks(queueFirst).start()) {
            try {
                Await.until(Duration.ofSeconds(10), "the saturation is logged", () -> log.contains("pool saturated"));
                String line = log.lines.stream().filter(l -> l.contains("pool saturated")).findFirst().orElseThrow();
                assertTrue(line.endsWith("all 2 workers are busy and maxServers is reached; 3 connections wait in the"
                        + " accept queue"), line);
            } finally {
                Clients.closeAll(clients);
            }
            Await.until(Duration.ofSeconds(10), "the end is logged", () -> log.contains("pool no longer saturated, after"));
            assertEquals(1, log.lines.stream().filter(l -> l.contains("pool saturated")).count(), "once");
        }
    }

    private ServerBuilder echo(int workers) {
        return PreforkServer.builder(EchoChild.class).port(0).minServers(workers).maxServers(workers)
                .minSpareServers(0).maxSpareServers(workers).log(log);
    }
}
