package prefork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import prefork.internal.Native;

/**
 * The test's own sd_notify socket: an AF_UNIX datagram socket bound at a path (or "@name" in the abstract
 * namespace) that a server under test sends its READY=1, STATUS=... datagrams to; every message received is kept.
 */
public final class NotifySocket implements AutoCloseable {
    private final int fd;
    private final String name;
    private final List<String> received = new ArrayList<>();

    private NotifySocket(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Binds at {@code name}: a file path (an old file is removed) or "@abstract". */
    public static NotifySocket bind(String name) throws IOException {
        if (!name.startsWith("@")) {
            Files.deleteIfExists(Path.of(name));
        }
        int fd = Native.check(Native.libc().socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0), "socket");
        byte[] path = name.getBytes(StandardCharsets.UTF_8);
        byte[] sockaddr = new byte[2 + path.length + (name.startsWith("@") ? 0 : 1)];
        sockaddr[0] = (byte) Native.AF_UNIX;
        System.arraycopy(path, 0, sockaddr, 2, path.length);
        if (name.startsWith("@")) {
            sockaddr[2] = 0;
        }
        if (Native.libc().bind(fd, sockaddr, sockaddr.length) < 0) {
            int errno = Native.errno();
            Native.closeQuietly(fd);
            throw Native.error("bind " + name, errno);
        }
        // SO_RCVTIMEO, struct timeval {1 s, 0}: a read returns within a second even when nothing comes
        Native.check(Native.libc().setsockopt(fd, Native.SOL_SOCKET, 20, new int[] {1, 0, 0, 0}, 16), "SO_RCVTIMEO");
        return new NotifySocket(fd, name);
    }

    /** What to put in NOTIFY_SOCKET. */
    public String name() {
        return name;
    }

    /** Waits (at most {@code limit}) for a message {@code wanted} accepts, reading and keeping every one before it. */
    public String await(Duration limit, String what, Predicate<String> wanted) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (String message : List.copyOf(received)) {
            if (wanted.test(message)) {
                received.remove(message);
                return message;
            }
        }
        while (System.nanoTime() - deadline < 0) {
            byte[] buffer = new byte[4096];
            long n = Native.libc().read(fd, buffer, buffer.length);
            if (n > 0) {
                String message = new String(buffer, 0, (int) n, StandardCharsets.UTF_8);
                if (wanted.test(message)) {
                    return message;
                }
                received.add(message);
            }
        }
        throw new AssertionError("no sd_notify message " + what + " within " + limit + "; got " + received);
    }

    /** Waits for a message that has the line {@code line} ("READY=1"). */
    public String awaitLine(Duration limit, String line) {
        return await(limit, "with " + line, message -> message.lines().anyMatch(line::equals));
    }

    /** The messages read but not yet taken by an {@link #await}. */
    public List<String> pending() {
        return List.copyOf(received);
    }

    @Override
    public void close() throws IOException {
        Native.closeQuietly(fd);
        if (!name.startsWith("@")) {
            Files.deleteIfExists(Path.of(name));
        }
    }
}
