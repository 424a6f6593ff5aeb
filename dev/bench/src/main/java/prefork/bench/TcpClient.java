package prefork.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * One client thread of the TCP workloads. Short: a new connection per line, closed by the client after the
 * echo. Persistent: one connection, lines back to back, reconnecting (after 10 ms) only if it fails. Both
 * loops stop at the window's end and after at most {@link #MAX_OPERATIONS}.
 */
final class TcpClient implements Runnable {
    static final int TIMEOUT_MILLIS = 2000;
    static final long MAX_OPERATIONS = 50_000_000;
    private final InetSocketAddress server;
    private final boolean persistent;
    private final Window window;
    private final Payload payload;
    private final Recorder recorder;
    private final byte[] reply = new byte[Payload.SIZE];

    TcpClient(InetSocketAddress server, boolean persistent, Window window, int id, Recorder recorder) {
        this.server = server;
        this.persistent = persistent;
        this.window = window;
        this.payload = new Payload(id);
        this.recorder = recorder;
    }

    @Override
    public void run() {
        Socket socket = null;
        for (long seq = 0; seq < MAX_OPERATIONS && !window.over(System.nanoTime()); seq++) {
            long start = System.nanoTime();
            try {
                if (socket == null) {
                    socket = connect();
                }
                socket.getOutputStream().write(payload.stamp(seq));
                int length = readReply(socket.getInputStream());
                if (!payload.matches(reply, length)) {
                    recorder.error(length < Payload.SIZE ? ErrorKind.SHORT_REPLY : ErrorKind.WRONG_REPLY,
                            length + " bytes: " + new String(reply, 0, Math.max(0, length)).strip());
                    socket = closeQuietly(socket);
                    continue;
                }
                recorder.success(start);
                if (!persistent) {
                    socket = closeQuietly(socket);
                }
            } catch (IOException e) {
                recorder.error(ErrorKind.of(e), e.toString());
                socket = closeQuietly(socket);
                if (persistent) {
                    pause();
                }
            }
        }
        closeQuietly(socket);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.connect(server, TIMEOUT_MILLIS);
            return socket;
        } catch (IOException e) {
            closeQuietly(socket);
            throw e;
        }
    }

    /** Reads until the 64 bytes of a reply or a newline arrived, or EOF; returns the bytes read. */
    private int readReply(InputStream in) throws IOException {
        int length = 0;
        while (length < Payload.SIZE) {
            int n = in.read(reply, length, Payload.SIZE - length);
            if (n < 0) {
                break;
            }
            length += n;
            if (reply[length - 1] == '\n') {
                break;
            }
        }
        return length;
    }

    private static Socket closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
        return null;
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
