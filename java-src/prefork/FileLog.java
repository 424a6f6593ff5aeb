package prefork;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** {@link Log#file}: appends stamped lines to a file, flushing each, and reopens it by name on request. */
final class FileLog implements Log {
    private final Path file;
    private Writer out;

    FileLog(Path file) throws IOException {
        this.file = file;
        this.out = open(file);
    }

    private static Writer open(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    @Override
    public synchronized void log(String line) {
        try {
            out.write(Log.stamp(line));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            System.err.println(Log.stamp("cannot write " + file + " (" + e + "): " + line));
        }
    }

    @Override
    public synchronized void reopen() {
        try {
            Writer reopened = open(file);
            out.close();
            out = reopened;
        } catch (IOException e) {
            System.err.println(Log.stamp("cannot reopen " + file + ": " + e + "; still writing the old file"));
        }
    }
}
