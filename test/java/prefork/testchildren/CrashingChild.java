package prefork.testchildren;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.BaseChild;

/**
 * While the file named by the child property "marker" exists, every request ends the worker JVM with
 * System.exit(3), a broken handler's crash loop; otherwise it answers with its pid.
 */
public class CrashingChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        if (Files.exists(Path.of(property("marker")))) {
            System.exit(3);
        }
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
