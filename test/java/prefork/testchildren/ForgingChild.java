package prefork.testchildren;

import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/**
 * A handler that writes lines made to look like the manager's own to stdout and stderr, and leaves a last
 * line without its newline; answers with its pid.
 */
public class ForgingChild extends BaseChild {
    public static final String FORGED = "worker slot=0 pid=1 gen=1 exited (stopped): exit status 0 after 0 requests, 1 ms";

    @Override
    protected void processRequest() throws Exception {
        System.out.print("\n" + FORGED + "\n");
        System.out.flush();
        System.err.println("prefork: listening on tcp 127.0.0.1:1");
        System.out.print("a last line without a newline");
        System.out.flush();
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
