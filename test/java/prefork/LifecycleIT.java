package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;
import prefork.testchildren.BootFailChild;
import prefork.testchildren.DenyingChild;
import prefork.testchildren.FlakyChild;

/** Hooks, faults, failed starts and graceful shutdown, with real worker JVMs. */
@Timeout(120)
class LifecycleIT {
    private final CapturingLog log = new CapturingLog();

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private ServerBuilder small(Class<? extends BaseChild> child) {
        return TestServers.pool(child, log, 1, 2, 1);
    }

    @Test
    void aDeniedConnectionGetsRequestDeniedThenIsClosed() throws Exception {
        try (PreforkServer server = small(DenyingChild.class).start(); Socket socket = Clients.connect(server.port())) {
            assertEquals("denied 127.0.0.1", Clients.readLine(socket));
            assertNull(Clients.readLine(socket), "closed after requestDenied");
        }
    }

    @Test
    void aThrowingHandlerClosesItsConnectionAndTheWorkerKeepsServing() throws Exception {
        try (PreforkServer server = small(FlakyChild.class).maxServers(1).start()) {
            long pid = server.workers().get(0).pid();
            try (Socket socket = Clients.connect(server.port())) {
                assertNull(Clients.send(socket, "boom"), "the failed connection is closed");
            }
            assertEquals(pid, Clients.pidFrom(server.port()), "the same worker serves the next connection");
            try (Socket socket = Clients.connect(server.port())) {
                assertNull(Clients.send(socket, "assert"), "an Error (AssertionError, as Clojure's :pre) too");
            }
            assertEquals(pid, Clients.pidFrom(server.port()), "and the worker survives it");
            Await.until(Duration.ofSeconds(10), "the stack trace reaches the manager's log",
                    () -> log.contains("IllegalStateException: boom requested by the client")
                            && log.contains("at prefork.testchildren.FlakyChild.processRequest"));
            assertEquals(1, server.stats().spawned(), "no respawn");
        }
    }

    @Test
    void shutdownLetsAConnectionInFlightComplete() throws Exception {
        RecordingHooks hooks = new RecordingHooks();
        PreforkServer server = small(EchoChild.class).hooks(hooks).start();
        try (Socket socket = Clients.connect(server.port())) {
            assertEquals("before", Clients.send(socket, "before"));
            server.shutdown(Duration.ofSeconds(30));
            Await.until(Duration.ofSeconds(10), "shutdown has begun", () -> log.contains("shutting down"));
            assertEquals("during", Clients.send(socket, "during"));
            Await.until(Duration.ofSeconds(10), "new connections are refused while the old one finishes",
                    () -> refused(server.port()));
            assertEquals("still", Clients.send(socket, "still"));
            assertTrue(!server.isTerminated(), "the server waits for the connection");
        } finally {
            assertTrue(server.awaitTermination(Duration.ofSeconds(20)), "terminates once the client is done");
            server.close();
        }
        assertThrows(IOException.class, () -> Clients.exchange(server.port(), "after"), "nothing listens any more");
        assertTrue(hooks.exits.stream().anyMatch(e -> e.cause() == ExitCause.STOPPED && e.status() == 0
                && e.worker().requests() == 1), "the worker finished its connection, then stopped: " + hooks.exits);
    }

    private static boolean refused(int port) {
        try {
            Clients.connect(port).close();
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void aHookMayAskTheServerAboutItselfFromTheSupervisorThread() throws Exception {
        java.util.List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ManagerHooks hooks = new ManagerHooks() {
            @Override
            public void preServerClose(PreforkServer server) {
                try {
                    seen.add(server.stats());
                    server.close();
                } catch (RuntimeException e) {
                    seen.add(e);
                }
            }
        };
        PreforkServer server = small(EchoChild.class).hooks(hooks).start();
        server.close();
        assertEquals(1, seen.size());
        assertTrue(seen.get(0) instanceof ServerStats, "the hook got its answer: " + seen.get(0));
        assertTrue(server.isTerminated());
    }

    @Test
    void aHandlerClassThatDoesNotExistIsRefusedBeforeAnythingStarts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreforkServer.builder("com.example.NoSuchChild").port(0).log(log).start());
        assertTrue(e.getMessage().contains("com.example.NoSuchChild"), e.getMessage());
        assertTrue(Processes.children().isEmpty());
    }

    @Test
    void aWorkerThatCannotBootFailsStartWithItsErrorAndLeavesNothing() throws Exception {
        IOException e = assertThrows(IOException.class, () -> small(BootFailChild.class).start());
        assertTrue(e.getMessage().contains("prefork.testchildren.BootFailChild"), e.getMessage());
        assertTrue(e.getMessage().contains("initialize refuses to boot"), e.getMessage());
        Processes.assertNoChildren();
    }

    @Test
    void aPortInUseIsAClearErrorAndNothingIsLeftRunning() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            IOException e = assertThrows(IOException.class,
                    () -> small(EchoChild.class).port(taken.getLocalPort()).start());
            assertTrue(e.getMessage().contains("127.0.0.1:" + taken.getLocalPort()), e.getMessage());
            assertTrue(e.getMessage().contains("Address already in use"), e.getMessage());
            assertTrue(Processes.children().isEmpty());
        }
    }

    @Test
    void closeIsIdempotentAndReleasesThePort() throws Exception {
        PreforkServer server = small(EchoChild.class).start();
        int port = server.port();
        server.close();
        server.close();
        assertTrue(server.isTerminated());
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort(), "the port is free again");
        }
    }
}
