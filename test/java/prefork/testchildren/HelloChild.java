package prefork.testchildren;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/**
 * Greets each connection at once with "PID PROTOCOL ADDRESS" (ADDRESS: the peer's, "-" for a Unix socket), then
 * reads until the client closes: a client holds the worker busy for as long as it keeps the connection open.
 */
public class HelloChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        String peer = address() == null ? "-" : address().getAddress().getHostAddress();
        String hello = ProcessHandle.current().pid() + " " + protocol().text() + " " + peer + "\n";
        channel().write(ByteBuffer.wrap(hello.getBytes(StandardCharsets.US_ASCII)));
        InputStream in = Channels.newInputStream(channel());
        while (in.read() != -1) {
            // held until the client closes
        }
    }
}
