package prefork.testchildren;

import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/**
 * Answers each request with its pid, and never finishes exiting: with the child property "hang" = "shutdown"
 * its shutdown() waits forever; with "exit-hook" it registers a JVM shutdown hook that waits forever (as
 * libraries' hooks that join a thread do), so System.exit never returns.
 */
public class HangingExitChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        conn().getOutputStream().write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    protected void shutdown() {
        if ("exit-hook".equals(property("hang"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(HangingExitChild::forever, "hanging-hook"));
        } else {
            forever();
        }
    }

    private static void forever() {
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // keep hanging
            }
        }
    }
}
