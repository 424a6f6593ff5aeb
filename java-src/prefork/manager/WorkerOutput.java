package prefork.manager;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import prefork.Log;
import prefork.internal.Native;

/**
 * Every worker's stdout and stderr, each on a pipe of its own, read by one daemon thread (poll(2)) that logs
 * each line as {@code [worker PID] line}: whatever a handler prints is attributed to its worker, and no line
 * of it can pass for one of the manager's. A line longer than {@link LinePipe#MAX_LINE_BYTES} is logged in
 * pieces. A pipe is read until EOF (its worker, and whatever inherited its output, are gone).
 *
 * <p>The last {@link #KEPT_LINES} lines of each worker are kept (those of the {@link #ENDED_KEPT} workers whose
 * pipes ended last, too): a worker that dies before prefork's code can report through the scoreboard is
 * explained by what its JVM printed ("Error: Could not find or load main class ...", "Invalid maximum heap
 * size: -Xmx1q"), see {@link #lastLines}.
 */
final class WorkerOutput implements AutoCloseable {
    /** Lines kept per worker, at most this many explain one boot failure. */
    static final int KEPT_LINES = 8;
    /** How many ended workers' last lines are kept until asked for. */
    static final int ENDED_KEPT = 64;
    /** How long {@link #lastLines} waits for a dead worker's pipe to reach EOF. */
    static final Duration EOF_LIMIT = Duration.ofMillis(500);
    private static final int POLLIN = 0x1, POLL_TIMEOUT_MILLIS = 50;
    private final Log log;
    /** read fd to the pid writing it; new pipes are picked up within one poll timeout. */
    private final Map<Integer, Long> pipes = new ConcurrentHashMap<>();
    private final Map<Integer, ByteArrayOutputStream> partial = new HashMap<>();
    /** read fd to its worker's last lines, while the pipe is open (guarded by this). */
    private final Map<Integer, ArrayDeque<String>> tails = new HashMap<>();
    /** pid to its last lines once its pipe has ended, the oldest dropped first (guarded by this). */
    private final Map<Long, List<String>> ended = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, List<String>> eldest) {
            return size() > ENDED_KEPT;
        }
    };
    private volatile boolean closing;

    private WorkerOutput(Log log) {
        this.log = log;
    }

    /** Starts the reading thread {@code threadName}. */
    static WorkerOutput start(String threadName, Log log) {
        WorkerOutput output = new WorkerOutput(log);
        Thread thread = new Thread(output::pump, threadName);
        thread.setDaemon(true);
        thread.start();
        return output;
    }

    /** A new pipe (close-on-exec both ends): returns {read fd, write fd}; the write end is for one worker. */
    static int[] newPipe() throws IOException {
        int[] fds = new int[2];
        Native.check(Native.libc().pipe2(fds, Native.O_CLOEXEC), "pipe2");
        return fds;
    }

    /** Reads {@code readFd}, the output of worker {@code pid}, from now on (and closes it at EOF). */
    void add(int readFd, long pid) {
        synchronized (this) {
            tails.put(readFd, new ArrayDeque<>());
        }
        pipes.put(readFd, pid);
    }

    /**
     * The last lines (at most {@link #KEPT_LINES}, without the "[worker PID]" prefix) worker {@code pid} wrote,
     * after waiting up to {@code limit} for its pipe to reach EOF (a process it started may hold it open); the
     * lines of an ended pipe are then forgotten. Empty if it wrote nothing, or if it is not known here.
     */
    List<String> lastLines(long pid, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        synchronized (this) {
            while (pipes.containsValue(pid) && !ended.containsKey(pid)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            List<String> lines = ended.remove(pid);
            if (lines != null) {
                return lines;
            }
            for (Map.Entry<Integer, Long> pipe : pipes.entrySet()) {
                ArrayDeque<String> tail = pipe.getValue() == pid ? tails.get(pipe.getKey()) : null;
                if (tail != null) {
                    return List.copyOf(tail);
                }
            }
            return List.of();
        }
    }

    /** "; the JVM said: line | line" for a boot failure's message, or "" when {@code lines} is empty. */
    static String said(List<String> lines) {
        return lines.isEmpty() ? "" : "; the JVM said: " + String.join(" | ", lines);
    }

    /** Reads what is already written, logs it, closes every pipe and ends the thread. */
    @Override
    public void close() {
        closing = true;
    }

    private void pump() {
        byte[] buffer = new byte[8192];
        while (!pipes.isEmpty() || !closing) {
            Integer[] fds = pipes.keySet().toArray(Integer[]::new);
            int[] pollfds = new int[fds.length * 2];
            for (int i = 0; i < fds.length; i++) {
                pollfds[2 * i] = fds[i];
                pollfds[2 * i + 1] = POLLIN;
            }
            boolean last = closing;
            int ready = fds.length == 0 ? sleep() : Native.libc().poll(pollfds, fds.length, last ? 0 : POLL_TIMEOUT_MILLIS);
            for (int i = 0; i < fds.length && ready > 0; i++) {
                if ((pollfds[2 * i + 1] >>> 16) != 0) {
                    read(fds[i], buffer);
                }
            }
            if (last) {
                pipes.keySet().forEach(fd -> drain(fd, buffer));
            }
        }
    }

    /** The last reads of {@code fd}: what is already in it (at most 1 MiB), then it is closed. */
    private void drain(int fd, byte[] buffer) {
        int[] pollfd = {fd, POLLIN};
        for (int i = 0; i < 128 && pipes.containsKey(fd); i++) {
            pollfd[1] = POLLIN;
            if (Native.libc().poll(pollfd, 1, 0) <= 0) {
                break;
            }
            read(fd, buffer);
        }
        finish(fd);
    }

    private int sleep() {
        try {
            Thread.sleep(POLL_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** One read of a readable pipe: logs the complete lines; at EOF, the rest, and forgets the pipe. */
    private void read(int fd, byte[] buffer) {
        long n = Native.libc().read(fd, buffer, buffer.length);
        if (n < 0 && Native.errno() == Native.EINTR) {
            return;
        }
        if (n <= 0) {
            finish(fd);
            return;
        }
        ByteArrayOutputStream line = partial.computeIfAbsent(fd, k -> new ByteArrayOutputStream());
        for (int i = 0; i < n; i++) {
            if (buffer[i] == '\n' || line.size() >= LinePipe.MAX_LINE_BYTES) {
                emit(fd, line);
            }
            if (buffer[i] != '\n') {
                line.write(buffer[i]);
            }
        }
    }

    private void finish(int fd) {
        ByteArrayOutputStream rest = partial.remove(fd);
        if (rest != null) {
            emit(fd, rest);
        }
        synchronized (this) {
            ArrayDeque<String> tail = tails.remove(fd);
            Long pid = pipes.remove(fd);
            if (pid != null) {
                Native.closeQuietly(fd);
                ended.put(pid, tail == null ? List.of() : List.copyOf(tail));
            }
            notifyAll();
        }
    }

    private void emit(int fd, ByteArrayOutputStream line) {
        if (line.size() > 0) {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            synchronized (this) {
                ArrayDeque<String> tail = tails.get(fd);
                if (tail != null) {
                    tail.addLast(text);
                    if (tail.size() > KEPT_LINES) {
                        tail.removeFirst();
                    }
                }
            }
            try {
                log.log("[worker " + pipes.get(fd) + "] " + text);
            } catch (RuntimeException e) {
                // a failing log must not stop the reader
            }
        }
    }
}
