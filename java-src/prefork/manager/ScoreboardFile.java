package prefork.manager;

import prefork.internal.Native;
import prefork.internal.Scoreboard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The manager's scoreboard: a file in /dev/shm (or the temp directory), mapped, held open as a close-on-exec
 * fd to hand to workers, and unlinked at once so nothing is left behind even after a crash.
 */
public final class ScoreboardFile implements AutoCloseable {
    private final int fd;
    private final Scoreboard scoreboard;

    private ScoreboardFile(int fd, Scoreboard scoreboard) {
        this.fd = fd;
        this.scoreboard = scoreboard;
    }

    /** Creates, maps and unlinks a new scoreboard file. */
    public static ScoreboardFile create() throws IOException {
        Path dir = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        Path path = dir.resolve("prefork-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        int fd = Native.check(Native.libc().open(path.toString(),
                Native.O_RDWR | Native.O_CREAT | Native.O_EXCL | Native.O_CLOEXEC, 0600), "create " + path);
        try {
            Scoreboard scoreboard = Scoreboard.map(path);
            return new ScoreboardFile(fd, scoreboard);
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(fd);
            throw e;
        } finally {
            Files.deleteIfExists(path);
        }
    }

    /** The fd workers receive as {@link WorkerContract#SCOREBOARD}. */
    public int fd() {
        return fd;
    }

    public Scoreboard scoreboard() {
        return scoreboard;
    }

    /** Closes the fd; the mapping stays valid until garbage collected. */
    @Override
    public void close() {
        Native.closeQuietly(fd);
    }
}
