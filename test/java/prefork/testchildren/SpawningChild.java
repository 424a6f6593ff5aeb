package prefork.testchildren;

import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/**
 * Each request starts a grandchild that outlives the request, as careless handlers do, and answers with its
 * pid: "sleep 1000", or with the child property "ignore-term" set, a shell that ignores TERM.
 */
public class SpawningChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        ProcessBuilder builder = property("ignore-term") != null
                ? new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 1000 & wait")
                : new ProcessBuilder("sleep", "1000");
        Process grandchild = builder.redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        conn().getOutputStream().write((grandchild.pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
