package prefork.manager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/**
 * The pidFile option: a file holding the manager's process id while the server runs. {@link #check} runs
 * before anything is bound and refuses a file that names a running process; {@link #write} replaces a stale
 * one once the socket is bound; {@link #remove} deletes it when the server has terminated. A null path means
 * no pid file: every method then does nothing.
 */
public final class PidFile {
    private static final int MAX_BYTES = 32;
    private final Path path;
    private final long pid = ProcessHandle.current().pid();
    private boolean written;

    private PidFile(Path path) {
        this.path = path;
    }

    /** Throws IOException naming the option and the file when it names a running process or holds no pid. */
    public static PidFile check(Path path) throws IOException {
        if (path != null) {
            OptionalLong holder = read(path);
            if (holder.isPresent() && ProcessHandle.of(holder.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
                throw new IOException("pidFile=\"" + path + "\" names process " + holder.getAsLong()
                        + ", which is running: is another server using it?");
            }
        }
        return new PidFile(path);
    }

    /** Writes this process's id, replacing a stale file atomically (a temporary file moved into place). */
    public void write() throws IOException {
        if (path == null) {
            return;
        }
        Path temporary = path.resolveSibling(path.getFileName() + "." + pid + ".tmp");
        try {
            Files.writeString(temporary, pid + "\n", StandardCharsets.US_ASCII);
            Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written = true;
        } catch (IOException e) {
            Files.deleteIfExists(temporary);
            throw new IOException("pidFile=\"" + path + "\" cannot be written: " + e, e);
        }
    }

    /** Deletes the file if this server wrote it and it still holds this process's id; never throws. */
    public void remove() {
        if (!written) {
            return;
        }
        written = false;
        try {
            if (read(path).equals(OptionalLong.of(pid))) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // left in place: the next start finds a dead pid in it and replaces it
        }
    }

    /** The pid in the file; empty when there is no file or it is empty. */
    private static OptionalLong read(Path path) throws IOException {
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(MAX_BYTES);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new IOException("pidFile=\"" + path + "\" cannot be read: " + e, e);
        }
        String text = new String(bytes, StandardCharsets.US_ASCII).trim();
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long pid = Long.parseLong(text);
            if (pid > 0) {
                return OptionalLong.of(pid);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IOException("pidFile=\"" + path + "\" exists and does not hold a process id: not overwriting it");
    }
}
