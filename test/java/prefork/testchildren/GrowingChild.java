package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import prefork.BaseChild;

/**
 * Grows on request: "grow N" keeps N MiB more (touched, so it is resident) and answers "grown PID", then waits
 * for a second line on the same connection and answers "done PID"; any other first line gets "PID".
 */
public class GrowingChild extends BaseChild {
    private static final List<byte[]> KEPT = new ArrayList<>();

    @Override
    protected void processRequest() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = conn().getOutputStream();
        long pid = ProcessHandle.current().pid();
        String line = in.readLine();
        if (line != null && line.startsWith("grow ")) {
            int mebibytes = Integer.parseInt(line.substring(5).trim());
            for (int i = 0; i < mebibytes; i++) {
                byte[] chunk = new byte[1 << 20];
                for (int page = 0; page < chunk.length; page += 4096) {
                    chunk[page] = 1;
                }
                KEPT.add(chunk);
            }
            out.write(("grown " + pid + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.readLine();
            out.write(("done " + pid + "\n").getBytes(StandardCharsets.US_ASCII));
        } else {
            out.write((pid + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }
}
