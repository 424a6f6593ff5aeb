package prefork.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Worker start-up (spawn to ready) and idle memory of one handler, from the manager's log lines
 * "worker slot=N pid=P gen=1 ready in X ms" and from a client:
 * <ol>
 * <li>a pool of 5 at start (the manager starts the first alone, then the other 4 together): the 5 initial ready
 * times, then the idle pool's RSS and PSS;
 * <li>the same pool, idle: {@link #RESPAWNS} workers SIGKILLed one at a time, each replacement's ready time;
 * <li>a pool of exactly one worker: its first start and {@link #SOLO_RESPAWNS} replacements after SIGKILL,
 * each with the log's ready time and, measured by a client whose connection waits in the backlog while no
 * worker runs, the time from the log's "spawned" line to the echo of that connection.
 * </ol>
 * The manager looks for a booting worker's readiness every 5 ms, so its "ready in" figures are late by 0-5 ms;
 * spawned-to-first-echo has no such delay but includes serving the first connection.
 */
final class StartupProbe {
    static final int RESPAWNS = 3;
    static final int SOLO_RESPAWNS = 5;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** Start-up times in ms; {@code soloOtherCpu}: CPU % of the machine used by others during the solo phase. */
    record Figures(String handler, List<Long> pool, List<Long> respawn, List<Long> solo, List<Long> soloEcho,
            Memory idle, double soloOtherCpu) {}

    private StartupProbe() {}

    static Figures measure(String label, Path preforkJar, String handler, List<String> extraFlags, Path directory)
            throws Exception {
        List<Long> pool = new ArrayList<>(), respawn = new ArrayList<>();
        Memory idle;
        List<String> poolCommand = ServerSpec.launcher(preforkJar, handler, "--min-servers", "5", "--max-servers", "20");
        poolCommand.addAll(extraFlags);
        try (ServerProcess server = ServerProcess.start(label + "-pool", poolCommand, directory)) {
            server.awaitListening("tcp", START_TIMEOUT);
            Set<Long> pids = new LinkedHashSet<>();
            while (pool.size() < 5) {
                WorkerEvent ready = require(server, server.awaitEvent(e -> e.kind().equals("ready"), START_TIMEOUT));
                pool.add(ready.readyMillis());
                pids.add(ready.pid());
            }
            Thread.sleep(2000);
            idle = Memory.of(server.handle());
            List<Long> victims = new ArrayList<>(pids);
            for (int i = 0; i < RESPAWNS; i++) {
                ProcessHandle.of(victims.get(i)).ifPresent(ProcessHandle::destroyForcibly);
                WorkerEvent ready = require(server, server.awaitEvent(
                        e -> e.kind().equals("ready") && !pids.contains(e.pid()), START_TIMEOUT));
                respawn.add(ready.readyMillis());
                pids.add(ready.pid());
                Thread.sleep(1000);
            }
        }
        List<Long> solo = new ArrayList<>(), soloEcho = new ArrayList<>();
        double otherCpu;
        List<String> soloCommand = ServerSpec.launcher(preforkJar, handler, "--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0", "--max-spare-servers", "1");
        soloCommand.addAll(extraFlags);
        try (ServerProcess server = ServerProcess.start(label + "-solo", soloCommand, directory)) {
            InetSocketAddress address = server.awaitListening("tcp", START_TIMEOUT);
            CpuMeter meter = new CpuMeter(server);
            CpuMeter.Reading before = meter.read();
            WorkerEvent first = require(server, server.awaitEvent(e -> e.kind().equals("ready"), START_TIMEOUT));
            solo.add(first.readyMillis());
            long current = first.pid();
            for (int i = 0; i < SOLO_RESPAWNS; i++) {
                Thread.sleep(1000);
                try {
                    current = respawnOne(server, address, current, solo, soloEcho);
                } catch (IOException e) {
                    throw new IllegalStateException(server.name() + ": respawn " + (i + 1) + ": " + e
                            + "; manager alive: " + server.handle().isAlive() + "; last lines: " + server.tail(), e);
                }
            }
            otherCpu = CpuMeter.otherPercent(before, meter.read());
        }
        return new Figures(handler, pool, respawn, solo, soloEcho, idle, otherCpu);
    }

    /** Kills the only worker, queues a connection, and records the replacement's ready time and first echo. */
    private static long respawnOne(ServerProcess server, InetSocketAddress address, long victim, List<Long> ready,
            List<Long> echo) throws Exception {
        ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
        // Wait for the manager to have reaped it, not only for its state Z: the JVM's other threads outlive the
        // main one, and a thread woken from accept() by the SIGKILL takes a connection that is already queued
        // before it dies, which resets it (seen in 2 of 12 tries when connecting at Z).
        require(server, server.awaitEvent(e -> e.kind().equals("exited") && e.pid() == victim, Duration.ofSeconds(10)));
        long echoedAt;
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) START_TIMEOUT.toMillis());
            socket.connect(address, 5000);
            socket.getOutputStream().write("startup probe\n".getBytes(StandardCharsets.US_ASCII));
            String reply = readLine(socket.getInputStream());
            echoedAt = System.currentTimeMillis();
            if (!reply.equals("startup probe")) {
                throw new IllegalStateException("startup probe: wrong echo \"" + reply + "\"");
            }
        }
        WorkerEvent spawned = require(server, server.awaitEvent(
                e -> e.kind().equals("spawned") && e.pid() != victim, Duration.ofSeconds(10)));
        WorkerEvent readyEvent = require(server, server.awaitEvent(
                e -> e.kind().equals("ready") && e.pid() == spawned.pid(), Duration.ofSeconds(10)));
        ready.add(readyEvent.readyMillis());
        echo.add(echoedAt - spawned.epochMillis());
        return spawned.pid();
    }

    /** One line (without its newline) read byte by byte, at most 1024 characters; "" at once at EOF. */
    static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n' && line.length() < 1024; c = in.read()) {
            line.append((char) c);
        }
        return line.toString();
    }

    private static WorkerEvent require(ServerProcess server, WorkerEvent event) {
        if (event == null) {
            throw new IllegalStateException(server.name() + ": expected worker event did not come: " + server.tail());
        }
        return event;
    }
}
