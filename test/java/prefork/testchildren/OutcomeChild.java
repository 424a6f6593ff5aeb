package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/**
 * One line decides how the request ends, for the access log: "deny" is refused by allowDeny, "boom" throws,
 * "hang" never returns (until the timeout kills the worker), "wait" answers "waiting" then waits for the client
 * to send another line or close; "think" sleeps 2 s (reading nothing) before it answers; anything else is served: the worker's pid comes back. Every request prints "handled LINE" on stdout, as a handler's own output.
 */
public class OutcomeChild extends BaseChild {
    private String line;
    private BufferedReader in;

    @Override
    protected void postAccept() throws Exception {
        in = new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8));
        line = in.readLine();
        System.out.println("handled " + line);
    }

    @Override
    protected boolean allowDeny() {
        return !"deny".equals(line);
    }

    @Override
    protected void processRequest() throws Exception {
        if ("boom".equals(line)) {
            throw new IllegalStateException("boom requested by the client");
        }
        if ("wait".equals(line)) {
            conn().getOutputStream().write("waiting\n".getBytes(StandardCharsets.US_ASCII));
            in.readLine();
        }
        if ("think".equals(line)) {
            Thread.sleep(2_000);
        }
        while ("hang".equals(line)) {
            Thread.sleep(60_000);
        }
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
