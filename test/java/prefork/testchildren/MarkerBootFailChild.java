package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.BaseChild;

/**
 * Boots normally unless the file named by the child property "failMarker" exists; then initialize throws, so a
 * test can make workers fail at boot after the first ones were ready. Reads a line, replies with its pid.
 */
public class MarkerBootFailChild extends BaseChild {
    @Override
    protected void initialize() {
        Path marker = Path.of(property("failMarker"));
        if (Files.exists(marker)) {
            throw new IllegalStateException("the marker " + marker + " exists");
        }
    }

    @Override
    protected void processRequest() throws Exception {
        new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8)).readLine();
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }
}
