package prefork.testchildren;

import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/** Denies every connection; requestDenied tells the client so. */
public class DenyingChild extends BaseChild {
    @Override
    protected boolean allowDeny() {
        return false;
    }

    @Override
    protected void requestDenied() throws Exception {
        conn().getOutputStream().write(("denied " + address().getAddress().getHostAddress() + "\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    protected void processRequest() {
        throw new AssertionError("processRequest must not run for a denied connection");
    }
}
