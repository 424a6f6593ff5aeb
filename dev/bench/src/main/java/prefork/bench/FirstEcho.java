package prefork.bench;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Start to first echo: the time from starting a server's process to the first line it echoes, as an operator
 * or a load balancer's health check would see it. The server gets a free port chosen beforehand (prefork's
 * and the C peer's {@code --port}, the Java comparison servers' {@code -Dbench.port}); a client connects every millisecond from the
 * start, and the first connection the server accepts is sent one line. For prefork that includes the manager's
 * start, binding, spawning and one worker's start; the connection waits in the backlog until a worker takes
 * it. prefork's class data archive exists by then (the start-up probe made it), so this is a restart, not a
 * first start after installing.
 */
final class FirstEcho {
    static final int RUNS = 5;
    private static final long TIMEOUT_NANOS = 60_000_000_000L;

    private FirstEcho() {}

    /** {@link #RUNS} start-to-echo times of {@code spec}'s TCP command, in ms; each server is stopped after its run. */
    static List<Long> measure(ServerSpec spec, Path directory) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            int port = freePort();
            List<String> command = withPort(spec, port);
            long start = System.nanoTime();
            try (ServerProcess server = ServerProcess.start(spec.name() + "-first-echo", command, directory)) {
                echo(server, new InetSocketAddress("127.0.0.1", port), start);
                times.add((System.nanoTime() - start) / 1_000_000);
            }
            Thread.sleep(500);
        }
        return times;
    }

    private static List<String> withPort(ServerSpec spec, int port) {
        List<String> command = new ArrayList<>(spec.tcpCommand());
        int flag = command.indexOf("--port");
        if (flag >= 0) { // prefork's launcher and the C peer
            command.set(flag + 1, Integer.toString(port));
        } else {
            command.add(1, "-Dbench.port=" + port);
        }
        return command;
    }

    private static void echo(ServerProcess server, InetSocketAddress address, long start) throws Exception {
        while (System.nanoTime() - start < TIMEOUT_NANOS) {
            if (!server.handle().isAlive()) {
                throw new IllegalStateException(server.name() + " exited: " + server.tail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(address, 1000);
                socket.setSoTimeout(60_000);
                socket.getOutputStream().write("first echo\n".getBytes(StandardCharsets.US_ASCII));
                String reply = StartupProbe.readLine(socket.getInputStream());
                if (!reply.equals("first echo")) {
                    throw new IllegalStateException(server.name() + ": wrong first echo \"" + reply + "\"");
                }
                return;
            } catch (ConnectException e) {
                Thread.sleep(1);
            }
        }
        throw new IllegalStateException(server.name() + ": no echo within 60 s: " + server.tail());
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }
}
