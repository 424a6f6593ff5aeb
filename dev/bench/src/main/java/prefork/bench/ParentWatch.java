package prefork.bench;

import java.io.IOException;

/** Makes a comparison server exit when the suite that started it is gone: EOF on stdin, the suite's pipe. */
final class ParentWatch {
    private ParentWatch() {}

    static void exitOnStdinEof() {
        Thread watch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the suite never writes: read blocks until it exits and the pipe closes
                }
            } catch (IOException e) {
                // treat as EOF
            }
            System.exit(0);
        }, "parent-watch");
        watch.setDaemon(true);
        watch.start();
    }
}
