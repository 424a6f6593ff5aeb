package prefork.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;

/**
 * One client thread of the UDP workload: sends a 64-byte datagram and waits up to {@link #TIMEOUT_MILLIS}
 * for its echo (a timeout is an error); late echoes of earlier datagrams are skipped. Stops at the window's
 * end and after at most {@link TcpClient#MAX_OPERATIONS}.
 */
final class UdpClient implements Runnable {
    static final int TIMEOUT_MILLIS = 1000;
    private final InetSocketAddress server;
    private final Window window;
    private final Payload payload;
    private final Recorder recorder;

    UdpClient(InetSocketAddress server, Window window, int id, Recorder recorder) {
        this.server = server;
        this.window = window;
        this.payload = new Payload(id);
        this.recorder = recorder;
    }

    @Override
    public void run() {
        byte[] buffer = new byte[2 * Payload.SIZE];
        DatagramPacket received = new DatagramPacket(buffer, buffer.length);
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            socket.connect(server);
            for (long seq = 0; seq < TcpClient.MAX_OPERATIONS && !window.over(System.nanoTime()); seq++) {
                long start = System.nanoTime();
                byte[] line = payload.stamp(seq);
                try {
                    socket.send(new DatagramPacket(line, line.length));
                    awaitEcho(socket, received, start);
                } catch (IOException e) {
                    recorder.error(ErrorKind.of(e), e.toString());
                    if (!(e instanceof SocketTimeoutException)) {
                        Thread.sleep(10);
                    }
                }
            }
        } catch (IOException e) {
            recorder.error(ErrorKind.OTHER, "cannot open a UDP socket: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Receives until this datagram's echo (success) or a wrong one (error); skips stale echoes; throws on timeout. */
    private void awaitEcho(DatagramSocket socket, DatagramPacket received, long start) throws IOException {
        long deadline = start + TIMEOUT_MILLIS * 1_000_000L;
        while (true) {
            int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
            socket.setSoTimeout(left);
            received.setLength(received.getData().length);
            socket.receive(received);
            if (payload.matches(received.getData(), received.getLength())) {
                recorder.success(start);
                return;
            }
            if (payload.sameClient(received.getData(), received.getLength())) {
                continue; // the late echo of an earlier, timed-out datagram
            }
            recorder.error(received.getLength() < Payload.SIZE ? ErrorKind.SHORT_REPLY : ErrorKind.WRONG_REPLY,
                    received.getLength() + " bytes");
            return;
        }
    }
}
