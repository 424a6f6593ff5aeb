package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.EchoChild;

/**
 * What the manager knows about each worker, with real worker JVMs and real clients over IPv4 and IPv6: how
 * long it has been busy and for which client (from the scoreboard), its RSS, PSS and CPU time (from /proc),
 * why the slot's previous worker exited; and the status table that shows them.
 */
@Timeout(60)
class WorkerFactsIT {
    private PreforkServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        Processes.assertNoChildren();
    }

    @Test
    void busyWorkersNameTheirClientsOverIpv4AndIpv6() throws Exception {
        server = PreforkServer.builder(EchoChild.class).port(0).addListener("tcp://[::1]:0").minServers(1)
                .maxServers(2).minSpareServers(0).maxSpareServers(2).start();
        ListenerSpec v4 = server.listeners().get(0), v6 = server.listeners().get(1);
        try (Socket four = new Socket(); Socket six = new Socket()) {
            four.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), v4.port()), 10_000);
            six.connect(new InetSocketAddress(InetAddress.getByName("::1"), v6.port()), 10_000);
            four.setSoTimeout(10_000);
            six.setSoTimeout(10_000);
            assertEquals("a", Clients.send(four, "a"));
            assertEquals("b", Clients.send(six, "b"));
            WorkerInfo onFour = busyOn(v4), onSix = busyOn(v6);
            assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), four.getLocalPort()), onFour.client());
            assertTrue(onSix.client().getAddress() instanceof Inet6Address, "an IPv6 client: " + onSix.client());
            assertEquals(InetAddress.getByName("::1"), onSix.client().getAddress());
            assertEquals(six.getLocalPort(), onSix.client().getPort());
            long firstMillis = onFour.busyFor().toMillis();
            Thread.sleep(300);
            assertTrue(busyOn(v4).busyFor().toMillis() >= firstMillis + 250, "busy-for grows while busy");
            for (WorkerInfo w : List.of(onFour, onSix)) {
                assertTrue(w.rssBytes() > 8 << 20 && w.pssBytes() > 1 << 20 && w.pssBytes() <= w.rssBytes(),
                        "memory from /proc: " + w);
                assertTrue(w.cpuTime() != null && w.cpuTime().toMillis() > 0, "CPU time from /proc: " + w);
                assertNull(w.previousExit(), "a slot's first worker");
            }
            String table = server.statusTable();
            assertTrue(table.contains("127.0.0.1:" + four.getLocalPort()), table);
            assertTrue(table.contains("[0:0:0:0:0:0:0:1]:" + six.getLocalPort()), table);
            assertTrue(table.contains("LISTENER") && table.contains(v6.toString()), "two listeners: " + table);
            assertTrue(table.contains("busy"), table);
        }
        Await.until(Duration.ofSeconds(10), "both workers are idle again, with no client",
                () -> server.workers().stream().allMatch(w -> w.state() == WorkerState.IDLE && w.client() == null
                        && w.busyFor() == null));
    }

    @Test
    void aReplacementKnowsWhyTheSlotsLastWorkerExited() throws Exception {
        server = PreforkServer.builder(EchoChild.class).port(0).minServers(1).maxServers(1).minSpareServers(0)
                .maxSpareServers(1).start();
        WorkerInfo first = server.workers().get(0);
        new ProcessBuilder("kill", "-KILL", Long.toString(first.pid())).start().waitFor();
        Await.until(Duration.ofSeconds(20), "a replacement is ready in the same slot", () -> server.workers().stream()
                .anyMatch(w -> w.pid() != first.pid() && w.slot() == first.slot() && w.state() == WorkerState.IDLE));
        WorkerInfo replacement = server.workers().get(0);
        assertEquals(ExitCause.CRASHED, replacement.previousExit());
        assertTrue(server.statusTable().contains("crashed"), server.statusTable());
    }

    private WorkerInfo busyOn(ListenerSpec listener) {
        WorkerInfo[] found = new WorkerInfo[1];
        Await.until(Duration.ofSeconds(10), "a worker of " + listener + " is busy", () -> {
            found[0] = server.workers().stream()
                    .filter(w -> w.listener().equals(listener.toString()) && w.state() == WorkerState.BUSY)
                    .findFirst().orElse(null);
            return found[0] != null;
        });
        return found[0];
    }
}
