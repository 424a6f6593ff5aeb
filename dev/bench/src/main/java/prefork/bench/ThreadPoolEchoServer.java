package prefork.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The baseline: a plain blocking echo server in one JVM. TCP: one acceptor thread hands each connection to a
 * fixed pool of platform threads (default 20, as prefork's maxServers), which echo lines exactly as
 * prefork.examples.EchoChild does. UDP: the same number of threads each block in receive on one socket.
 * Prints "bench: listening on tcp 127.0.0.1:P" and "... udp 127.0.0.1:Q"; runs until killed or until its stdin
 * closes (the suite exited).
 * Usage: ThreadPoolEchoServer [threads]; -Dbench.port=P: TCP on port P (default 0: any free port)
 */
public final class ThreadPoolEchoServer {
    private ThreadPoolEchoServer() {}

    public static void main(String[] args) throws IOException {
        ParentWatch.exitOnStdinEof();
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        ServerSocket server = new ServerSocket(Integer.getInteger("bench.port", 0), 1024, loopback);
        DatagramSocket datagrams = new DatagramSocket(new InetSocketAddress(loopback, 0));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int i = 0; i < threads; i++) {
            Thread udp = new Thread(() -> echoDatagrams(datagrams), "udp-echo-" + i);
            udp.setDaemon(true);
            udp.start();
        }
        System.out.println("bench: listening on tcp 127.0.0.1:" + server.getLocalPort());
        System.out.println("bench: listening on udp 127.0.0.1:" + datagrams.getLocalPort());
        System.out.flush();
        while (true) {
            Socket connection = server.accept();
            pool.execute(() -> echoLines(connection));
        }
    }

    private static void echoLines(Socket connection) {
        try (connection) {
            BufferedReader in = new BufferedReader(
                    new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = connection.getOutputStream();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away: nothing to do
        }
    }

    private static void echoDatagrams(DatagramSocket socket) {
        byte[] buffer = new byte[65536];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        while (true) {
            try {
                packet.setLength(buffer.length);
                socket.receive(packet);
                socket.send(new DatagramPacket(buffer, packet.getLength(), packet.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }
}
