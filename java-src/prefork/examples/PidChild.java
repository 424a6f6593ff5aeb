package prefork.examples;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;
import prefork.Protocol;

/** Replies {@code "<pid>\n"} (its own process id) to each connection or datagram and closes: tests use it to see which worker answered. */
public class PidChild extends BaseChild {
    private final byte[] reply = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);

    @Override
    protected void processRequest() throws Exception {
        if (protocol() == Protocol.UDP) {
            respTo(reply);
        } else if (channel() != null) {
            channel().write(ByteBuffer.wrap(reply));
        } else {
            conn().getOutputStream().write(reply); // TLS: plaintext through the TLS socket
        }
    }
}
