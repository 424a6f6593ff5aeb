package prefork.ctl;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;

/**
 * One connection to a server's control plane (its nREPL server), over TCP or a Unix socket, for one or a few
 * requests. Every request gets an id; the answers to it (nREPL may send several messages) are merged until
 * one says "done". The whole conversation is bounded by a deadline, after which the connection is closed.
 */
final class ControlConnection implements AutoCloseable {
    private final AutoCloseable socket;
    private final InputStream in;
    private final OutputStream out;
    private final Timer watchdog = new Timer("prefork-ctl-deadline", true);
    private volatile boolean expired;
    private int nextId = 1;

    private ControlConnection(AutoCloseable socket, InputStream in, OutputStream out, long deadlineMillis) {
        this.socket = socket;
        this.in = new BufferedInputStream(in);
        this.out = out;
        watchdog.schedule(new TimerTask() {
            @Override
            public void run() {
                expired = true;
                closeQuietly();
            }
        }, deadlineMillis);
    }

    /** Connects to {@code host:port}; the conversation may last {@code deadlineMillis}. */
    static ControlConnection tcp(String host, int port, long deadlineMillis) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(deadlineMillis, 10_000));
            socket.setTcpNoDelay(true);
            return new ControlConnection(socket, socket.getInputStream(), socket.getOutputStream(), deadlineMillis);
        } catch (IOException e) {
            socket.close();
            throw new IOException("cannot connect to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Connects to the Unix socket at {@code path}. */
    static ControlConnection unix(Path path, long deadlineMillis) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            return new ControlConnection(channel, Channels.newInputStream(channel), Channels.newOutputStream(channel),
                    deadlineMillis);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot connect to unix:" + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends {@code request} (an op and its parameters) and returns the merged answer: "out" and "err" joined,
     * "status" a list of every status seen, any other field the last value sent.
     */
    Map<String, Object> request(Map<String, Object> request) throws IOException {
        String id = Integer.toString(nextId++);
        Map<String, Object> message = new LinkedHashMap<>(request);
        message.put("id", id);
        Map<String, Object> merged = new LinkedHashMap<>();
        List<Object> statuses = new ArrayList<>();
        try {
            out.write(Bencode.encode(message));
            out.flush();
            while (!statuses.contains("done")) {
                Object answer = Bencode.read(in);
                if (answer == null) {
                    throw new IOException("the server closed the connection before answering");
                }
                if (!(answer instanceof Map<?, ?> map) || !id.equals(map.get("id"))) {
                    continue;
                }
                for (Map.Entry<?, ?> field : map.entrySet()) {
                    String key = (String) field.getKey();
                    Object value = field.getValue();
                    if (key.equals("status") && value instanceof List<?> list) {
                        statuses.addAll(list);
                    } else if ((key.equals("out") || key.equals("err")) && value instanceof String text) {
                        Object before = merged.get(key);
                        merged.put(key, before == null ? text : before + text);
                    } else {
                        merged.put(key, value);
                    }
                }
            }
        } catch (IOException e) {
            if (expired) {
                throw new IOException("no answer from the server in time (see --timeout)", e);
            }
            throw e;
        }
        merged.put("status", statuses);
        return merged;
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (Exception ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        watchdog.cancel();
        closeQuietly();
    }
}
