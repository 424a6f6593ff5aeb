package prefork.manager;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import prefork.InvalidOptionException;
import prefork.Options;

/**
 * Where the access log goes (the accessLog option): a file, appended to and reopened by name with the log
 * (USR1), or the manager's stdout for "-". Lines come from the workers' access pipes (prefork.internal.AccessLine)
 * and from the supervisor (requests cut off by a worker's death). Thread-safe; a write error is reported once
 * on stderr and the line dropped.
 */
public final class AccessLogFile implements AutoCloseable {
    private final Path file;
    private Writer out;
    private boolean failed;

    private AccessLogFile(Path file, Writer out) {
        this.file = file;
        this.out = out;
    }

    /**
     * The access log the accessLog option asks for, or null when it is off; throws InvalidOptionException
     * naming the option when the file cannot be opened.
     */
    public static AccessLogFile open(ServerConfig config) {
        String target = config.get(Options.ACCESS_LOG);
        try {
            return target == null ? null : open(target);
        } catch (IOException e) {
            throw new InvalidOptionException(Options.ACCESS_LOG, target, "cannot be opened: " + e.getMessage());
        }
    }

    /** Opens {@code target} ("-" for stdout); throws IOException when the file cannot be opened. */
    static AccessLogFile open(String target) throws IOException {
        if (target.equals("-")) {
            return new AccessLogFile(null, new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        }
        Path file = Path.of(target);
        return new AccessLogFile(file, writer(file));
    }

    private static Writer writer(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Appends one line (a newline is added) and flushes. */
    public synchronized void line(String line) {
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            if (!failed) {
                failed = true;
                System.err.println("prefork: cannot write the access log " + (file == null ? "(stdout)" : file)
                        + ": " + e);
            }
        }
    }

    /** Reopens the file by name (after logrotate moved it); stdout is left alone. */
    public synchronized void reopen() {
        if (file == null) {
            return;
        }
        try {
            Writer reopened = writer(file);
            out.close();
            out = reopened;
            failed = false;
        } catch (IOException e) {
            System.err.println("prefork: cannot reopen the access log " + file + ": " + e + "; still writing the old file");
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (file == null) {
                out.flush();
            } else {
                out.close();
            }
        } catch (IOException ignored) {
            // nothing more to write
        }
    }
}
