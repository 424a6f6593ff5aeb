package prefork.probes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A raw nREPL client with only the JDK on its class path, so that tests can run it as another user (setpriv).
 * Prints one line saying what happened, and exits 0.
 * <ul>
 * <li>{@code tcp PORT CODE}: connects to 127.0.0.1:PORT, sends one bencode eval of CODE, reads the reply for at
 * most 5 s: "closed after N bytes" (the server hung up), "reply N bytes: ..." or "refused: ...".
 * <li>{@code raw PORT TEXT}: sends TEXT as it is (a malformed or oversized message), then reads as above.
 * <li>{@code unix PATH CODE}: the same as tcp over the Unix socket PATH.
 * <li>{@code race PATH STOPFILE CODE}: connects to the Unix socket PATH over and over, sending an eval of CODE
 * on every connection it gets, until STOPFILE exists and it has been denied 100 times (at most 60 s):
 * "attempts A connected C denied D".
 * </ul>
 */
public final class NreplProbe {
    private NreplProbe() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "tcp" -> System.out.println(exchange(Integer.parseInt(args[1]), eval(args[2])));
            case "raw" -> System.out.println(exchange(Integer.parseInt(args[1]), args[2].getBytes(StandardCharsets.UTF_8)));
            case "unix" -> System.out.println(unix(Path.of(args[1]), eval(args[2])));
            case "race" -> System.out.println(race(Path.of(args[1]), Path.of(args[2]), eval(args[3])));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static byte[] eval(String code) {
        byte[] text = code.getBytes(StandardCharsets.UTF_8);
        return ("d4:code" + text.length + ":" + code + "2:id5:probe2:op4:evale").getBytes(StandardCharsets.UTF_8);
    }

    private static String exchange(int port, byte[] message) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(message);
                out.flush();
            } catch (IOException e) {
                return "closed while sending: " + e;
            }
            return read(socket.getInputStream());
        } catch (IOException e) {
            return "refused: " + e;
        }
    }

    private static String unix(Path path, byte[] message) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(path));
            channel.write(ByteBuffer.wrap(message));
            return readChannel(channel);
        } catch (IOException e) {
            return "refused: " + e;
        }
    }

    private static String readChannel(SocketChannel channel) throws IOException {
        StringBuilder reply = new StringBuilder();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + 5_000_000_000L;
        channel.configureBlocking(false);
        while (System.nanoTime() - deadline < 0) {
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                return "closed after " + reply.length() + " bytes";
            }
            reply.append(new String(buffer.array(), 0, n, StandardCharsets.UTF_8));
            if (reply.indexOf("4:done") >= 0) {
                return "reply " + reply.length() + " bytes: " + reply;
            }
            if (n == 0) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return "no reply in 5 s after " + reply.length() + " bytes";
    }

    private static String read(InputStream in) throws IOException {
        StringBuilder reply = new StringBuilder();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                reply.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                if (reply.indexOf("4:done") >= 0) {
                    return "reply " + reply.length() + " bytes: " + reply;
                }
            }
        } catch (SocketTimeoutException e) {
            return "no reply in 5 s after " + reply.length() + " bytes";
        } catch (IOException e) {
            return "closed after " + reply.length() + " bytes (" + e + ")";
        }
        return "closed after " + reply.length() + " bytes";
    }

    private static String race(Path socket, Path stop, byte[] message) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        int attempts = 0, connected = 0, denied = 0;
        while ((denied < 100 || !Files.exists(stop)) && System.nanoTime() - deadline < 0) {
            attempts++;
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(socket));
                connected++;
                channel.write(ByteBuffer.wrap(message));
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).contains("ermission denied")) {
                    denied++;
                }
            }
            if (attempts % 64 == 0) {
                Thread.sleep(1);
            }
        }
        return "attempts " + attempts + " connected " + connected + " denied " + denied;
    }
}
