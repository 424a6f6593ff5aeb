package prefork;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A manager JVM started through {@link Launcher} with "--port 0"; see {@link ManagerProcess} for its log and
 * {@link #close()}.
 */
public final class LaunchedManager extends ManagerProcess {
    final int port;

    /** Starts the launcher and waits (up to 60 s) for its "prefork: listening on tcp 127.0.0.1:PORT" line. */
    LaunchedManager(String name, Class<? extends BaseChild> handler, String... flags) throws IOException {
        this(name, handler.getName(), flags);
    }

    /** The same with a handler given by name: a class, or a Clojure var "my.ns/handle". */
    LaunchedManager(String name, String handler, String... flags) throws IOException {
        this(name, List.of(), handler, flags);
    }

    /** The same, with {@code prefix} before the java command (sh -c 'umask 000; exec "$@"' sh, setpriv ...). */
    LaunchedManager(String name, List<String> prefix, String handler, String... flags) throws IOException {
        super(name, prefixed(prefix, command(handler, flags)));
        String listening;
        try {
            listening = nextLine();
        } catch (AssertionError e) {
            close();
            throw e;
        }
        if (listening == null || !listening.startsWith("prefork: listening on tcp 127.0.0.1:")) {
            close();
            throw new AssertionError("the launcher said " + listening + "; see " + logFile + ":\n" + log());
        }
        port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
    }

    private static List<String> prefixed(List<String> prefix, List<String> command) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(command);
        return all;
    }

    /** java -cp (this JVM's classpath) prefork.Launcher --handler HANDLER --port 0 FLAGS... */
    static List<String> command(Class<? extends BaseChild> handler, String... flags) {
        return command(handler.getName(), flags);
    }

    static List<String> command(String handler, String... flags) {
        List<String> command = TestJava.launcher("--handler", handler, "--port", "0");
        command.addAll(List.of(flags));
        return command;
    }

    /** Sends a signal named as kill(1) names it ("HUP", "TERM", "TTIN"...). */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }
}
