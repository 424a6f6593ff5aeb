package prefork.testchildren;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.BaseChild;

/**
 * Leaves orphans behind, as handlers that start background processes do. One line per connection: "orphan" starts
 * {@code sh -c 'sleep 0.2 & echo $!'} and answers the pid of the sleep, whose parent (sh) exits at once so it is
 * re-parented to PID 1; "stat PID" answers "STATE PPID" from /proc/PID/stat, or "gone".
 */
public class OrphanChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel()), StandardCharsets.UTF_8));
        String line = in.readLine();
        String reply;
        if ("orphan".equals(line)) {
            Process sh = new ProcessBuilder("sh", "-c", "sleep 0.2 & echo $!").redirectErrorStream(true).start();
            reply = new String(sh.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            sh.waitFor();
        } else if (line != null && line.startsWith("stat ")) {
            reply = stat(line.substring(5).trim());
        } else {
            reply = "unknown request " + line;
        }
        Channels.newOutputStream(channel()).write((reply + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String stat(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[0] + " " + fields[1];
        } catch (IOException e) {
            return "gone";
        }
    }
}
