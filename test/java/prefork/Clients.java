package prefork;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Test clients on 127.0.0.1 with bounded socket timeouts. */
public final class Clients {
    static final int TIMEOUT_MILLIS = 10_000;

    private Clients() {}

    public static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        return socket;
    }

    /** Connects, sends {@code line}, returns the first line of the reply (null at EOF), closes. */
    public static String exchange(int port, String line) throws IOException {
        try (Socket socket = connect(port)) {
            return send(socket, line);
        }
    }

    /** Sends a line on an open connection and reads one line back (null at EOF). */
    public static String send(Socket socket, String line) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return readLine(socket);
    }

    public static String readLine(Socket socket) throws IOException {
        StringBuilder text = new StringBuilder();
        var in = socket.getInputStream();
        int c = in.read();
        if (c == -1) {
            return null;
        }
        for (; c != -1 && c != '\n'; c = in.read()) {
            text.append((char) c);
        }
        return text.toString();
    }

    /** The pid a PidChild (or FlakyChild) answers with. */
    public static long pidFrom(int port) throws IOException {
        return Long.parseLong(exchange(port, "pid").trim());
    }

    /** Closes all, ignoring errors. */
    public static void closeAll(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a test client
            }
        }
    }

    /** A reader, for tests that read several lines. */
    public static BufferedReader reader(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }
}
