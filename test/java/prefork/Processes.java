package prefork;

import java.time.Duration;
import java.util.List;

/** Checks on the test JVM's own child processes: tests must leave none behind. */
public final class Processes {
    private Processes() {}

    static List<ProcessHandle> children() {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList();
    }

    /** Waits (bounded) until this JVM has no live child process; fails naming the leftovers. */
    public static void assertNoChildren() {
        try {
            Await.until(Duration.ofSeconds(10), "no child process is left", () -> children().stream().noneMatch(p -> alive(p.pid())));
        } catch (AssertionError e) {
            List<ProcessHandle> left = children();
            left.forEach(ProcessHandle::destroyForcibly);
            throw new AssertionError("child processes left behind: " + left.stream().map(p -> p.pid() + " "
                    + p.info().commandLine().orElse("?")).toList(), e);
        }
    }

    /** Whether {@code pid} is running (a zombie counts as gone: it no longer runs anything). */
    public static boolean alive(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
