package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/** Reads one line: "boom" makes the handler throw, "assert" fail an assertion; anything else gets the pid back. */
public class FlakyChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        String line = new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8)).readLine();
        if ("boom".equals(line)) {
            throw new IllegalStateException("boom requested by the client");
        }
        if ("assert".equals(line)) {
            throw new AssertionError("an assertion failed, as the client asked");
        }
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
