package prefork.manager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The pidFile option: a file holding the manager's process id while the server runs, locked (fcntl) by the
 * manager for as long. {@link #check} runs before anything is bound and refuses a file that a running server
 * holds: one naming a live process of this user that holds the file's lock. A file naming any other process
 * (pid 1, another user's, a dead one) is stale. {@link #write} replaces a stale file once the socket is bound:
 * a new file with an unpredictable name, created with O_EXCL|O_NOFOLLOW next to it, locked, then renamed over
 * it (rename(2) replaces a symbolic link, never follows it). {@link #remove} deletes it when the server has
 * terminated. A null path means no pid file: every method then does nothing.
 */
public final class PidFile {
    private static final int MAX_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path path;
    private final long pid = ProcessHandle.current().pid();
    private FileChannel held;
    private Object heldKey;

    private PidFile(Path path) {
        this.path = path;
    }

    /** Throws IOException naming the option and the file when a running server holds it, or it holds no pid. */
    public static PidFile check(Path path) throws IOException {
        return check(path, -1);
    }

    /**
     * {@link #check(Path)}, except that the file may name {@code handingOver} (the manager this one replaces at
     * an upgrade, which holds it until then; -1 for none).
     */
    public static PidFile check(Path path, long handingOver) throws IOException {
        if (path != null) {
            OptionalLong holder = read(path);
            if (holder.isPresent() && holder.getAsLong() != handingOver && heldByRunningServer(path, holder.getAsLong())) {
                throw new IOException("pidFile=\"" + path + "\" names process " + holder.getAsLong()
                        + ", which is running: is another server using it?");
            }
        }
        return new PidFile(path);
    }

    /**
     * Writes this process's id into a new file moved over the path, and keeps it locked until {@link #remove}.
     * Called again (an upgrade that failed), it replaces whatever the path holds now.
     */
    public synchronized void write() throws IOException {
        if (path == null) {
            return;
        }
        if (held != null) {
            held.close();
            held = null;
        }
        Path temporary = path.resolveSibling("." + path.getFileName() + "." + HexFormat.of().formatHex(randomBytes()) + ".tmp");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(temporary, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            channel.lock();
            channel.write(ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII)));
            Object key = Files.readAttributes(temporary, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE);
            held = channel;
            heldKey = key;
        } catch (IOException e) {
            if (channel != null) {
                channel.close();
                Files.deleteIfExists(temporary);
            }
            throw new IOException("pidFile=\"" + path + "\" cannot be written: " + e, e);
        }
    }

    /** Deletes the file if it is still the one this server wrote and holds this process's id; never throws. */
    public synchronized void remove() {
        if (held == null) {
            return;
        }
        try {
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (Objects.equals(key, heldKey) && read(path).equals(OptionalLong.of(pid))) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // left in place: the next start finds it unlocked, hence stale, and replaces it
        } finally {
            try {
                held.close();
            } catch (IOException ignored) {
                // closing releases the lock in any case
            }
            held = null;
        }
    }

    /** Whether {@code pid} runs, belongs to this process's user, and holds the lock of the file at {@code path}. */
    private static boolean heldByRunningServer(Path path, long pid) throws IOException {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) || !sameOwner(pid)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            FileLock lock = channel.tryLock(0, Long.MAX_VALUE, true);
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // a server in this JVM holds it
        }
    }

    /** Whether process {@code pid} has this process's effective uid (the owner of its /proc directory). */
    private static boolean sameOwner(long pid) {
        try {
            return Files.getAttribute(Path.of("/proc/" + pid), "unix:uid")
                    .equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The pid in the file; empty when there is no file, it is empty, or it is a symbolic link (replaced). */
    private static OptionalLong read(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return OptionalLong.empty();
        }
        ByteBuffer bytes = ByteBuffer.allocate(MAX_BYTES);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (bytes.hasRemaining() && channel.read(bytes) > 0) {
                // reads at most MAX_BYTES
            }
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new IOException("pidFile=\"" + path + "\" cannot be read: " + e, e);
        }
        String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.US_ASCII).trim();
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

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
