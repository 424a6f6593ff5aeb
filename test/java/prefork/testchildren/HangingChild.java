package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/** Reads one line: "hang" makes the handler never return; anything else gets the worker's pid back. */
public class HangingChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        String line = new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        while ("hang".equals(line)) {
            Thread.sleep(60_000);
        }
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
