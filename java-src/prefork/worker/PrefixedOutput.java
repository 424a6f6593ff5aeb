package prefork.worker;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * A worker's stdout and stderr (the manager's output pipe, read into the manager's log): every line a worker
 * prints, the handler's included, starts with "[worker PID] ", and goes out in one write() of at most
 * PIPE_BUF bytes, so lines of different workers never interleave. Installed first thing in {@link Worker#main},
 * before a child (or Clojure, which keeps System.out) is loaded. Costs nothing unless something prints.
 */
final class PrefixedOutput extends OutputStream {
    private static final int PIPE_BUF = 4096;
    private final OutputStream out;
    private final byte[] prefix;
    private final byte[] line = new byte[PIPE_BUF];
    private int length;

    private PrefixedOutput(OutputStream out, long pid) {
        this.out = out;
        this.prefix = ("[worker " + pid + "] ").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefix, 0, line, 0, prefix.length);
        this.length = prefix.length;
    }

    /** Replaces System.out and System.err (autoflush, UTF-8). */
    static void install() {
        long pid = ProcessHandle.current().pid();
        System.setOut(stream(new FileOutputStream(FileDescriptor.out), pid));
        System.setErr(stream(new FileOutputStream(FileDescriptor.err), pid));
    }

    private static PrintStream stream(OutputStream fd, long pid) {
        return new PrintStream(new PrefixedOutput(fd, pid), true, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void write(int b) throws IOException {
        line[length++] = (byte) b;
        if (b == '\n' || length == line.length) {
            if (b != '\n') {
                line[length - 1] = '\n';
                emit();
                write(b);
                return;
            }
            emit();
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int count) throws IOException {
        for (int i = offset; i < offset + count; i++) {
            write(bytes[i]);
        }
    }

    /** A line without its newline yet waits for it (so lines never interleave); a full buffer goes out. */
    @Override
    public synchronized void flush() throws IOException {
        out.flush();
    }

    private void emit() throws IOException {
        out.write(line, 0, length);
        length = prefix.length;
    }
}
