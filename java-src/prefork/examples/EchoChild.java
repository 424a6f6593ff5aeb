package prefork.examples;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;
import prefork.Protocol;

/** Echo: reads lines and writes each one back until the client closes (TCP, Unix); sends each datagram back (UDP). */
public class EchoChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        if (protocol() == Protocol.UDP) {
            respTo(payload());
            return;
        }
        // TCP: the socket's streams, whose reads the idleTimeout bounds; Unix sockets have only the channel
        BufferedReader in = new BufferedReader(new InputStreamReader(conn() != null ? conn().getInputStream()
                : Channels.newInputStream(channel()), StandardCharsets.UTF_8));
        OutputStream out = conn() != null ? conn().getOutputStream() : Channels.newOutputStream(channel());
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }
}
