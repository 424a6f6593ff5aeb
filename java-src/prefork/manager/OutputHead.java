package prefork.manager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The first bytes a child process prints, read on a daemon thread of their own from the moment it starts, the
 * rest read and dropped, so the child never blocks on a full pipe however much it prints (a check JVM whose
 * flags log every class it loads, say) and a process that keeps the pipe open (a grandchild) cannot hold the
 * thread that waits for the child. Used for the archive checks, whose first line says why an archive is refused.
 */
final class OutputHead {
    /** What is kept: the first lines of a JVM's refusal fit many times over. */
    static final int KEPT_BYTES = 16 * 1024;
    private final byte[] kept = new byte[KEPT_BYTES];
    private int length;
    private final Thread reader;

    private OutputHead(InputStream output, String name) {
        reader = new Thread(() -> drain(output), name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts reading {@code process}'s standard output (with its standard error, if the builder merged them). */
    static OutputHead of(Process process, String threadName) {
        return new OutputHead(process.getInputStream(), threadName);
    }

    private void drain(InputStream output) {
        byte[] buffer = new byte[8192];
        try (output) {
            for (int n; (n = output.read(buffer)) >= 0; ) {
                synchronized (this) { // not held while reading: text() never waits for a read
                    int take = Math.min(n, kept.length - length);
                    System.arraycopy(buffer, 0, kept, length, take);
                    length += take;
                }
            }
        } catch (IOException e) {
            // the pipe was closed: what was read is what there is
        }
    }

    /**
     * What was kept, as UTF-8, once the output has ended (the process and whatever shares its pipe have exited)
     * or after {@code waitMillis}, whichever comes first; what was read so far in the second case.
     */
    String text(long waitMillis) throws InterruptedException {
        reader.join(Math.max(1, waitMillis));
        synchronized (this) {
            return new String(kept, 0, length, StandardCharsets.UTF_8);
        }
    }
}
