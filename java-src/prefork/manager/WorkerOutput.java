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
 *
 * <p>The thread sleeps in poll(2) until a pipe has output or ends, or a byte on its own wake pipe says that a
 * pipe was added or the reader is closing: an idle pool costs it nothing (it used to wake 20 times a second).
 * A pipe's end, which is in practice its worker's exit, is told to {@link #onPipeEnded}'s listener, so the
 * supervisor reaps the worker at once instead of on its next turn.
 */
final class WorkerOutput implements AutoCloseable {
    /** Lines kept per worker, at most this many explain one boot failure. */
    static final int KEPT_LINES = 8;
    /** How many ended workers' last lines are kept until asked for. */
    static final int ENDED_KEPT = 64;
    /** How long {@link #lastLines} waits for a dead worker's pipe to reach EOF. */
    static final Duration EOF_LIMIT = Duration.ofMillis(500);
    private static final int POLLIN = 0x1, FOREVER = -1;
    /** How often the pipes are looked at if the wake pipe ever fails (it cannot wake the thread then). */
    static final int WITHOUT_WAKE_MILLIS = 50;
    private final Log log;
    /** The wake pipe: {read fd, write fd}, both non-blocking; closed (guarded by itself) when the thread ends. */
    private final int[] wake;
    private boolean wakeClosed;
    private volatile java.util.function.LongConsumer pipeEnded = pid -> {};
    /** read fd to the pid writing it; new pipes are picked up at once (add wakes the thread). */
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

    private WorkerOutput(Log log, int[] wake) {
        this.log = log;
        this.wake = wake;
    }

    /** Starts the reading thread {@code threadName}; throws IOException when its wake pipe cannot be made. */
    static WorkerOutput start(String threadName, Log log) throws IOException {
        int[] wake = new int[2];
        Native.check(Native.libc().pipe2(wake, Native.O_CLOEXEC | Native.O_NONBLOCK), "pipe2");
        WorkerOutput output = new WorkerOutput(log, wake);
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
        wake();
    }

    /**
     * Tells {@code listener}, on the reading thread, the pid of each worker whose pipe ends (after its last line
     * is logged).
     */
    void onPipeEnded(java.util.function.LongConsumer listener) {
        pipeEnded = listener;
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
        wake();
    }

    /** One byte on the wake pipe; a full pipe (EAGAIN) already holds a wake-up the thread has not read. */
    private void wake() {
        synchronized (wake) {
            if (!wakeClosed) {
                Native.libc().write(wake[1], new byte[1], 1);
            }
        }
    }

    private void pump() {
        byte[] buffer = new byte[8192];
        boolean wakeFailed = false;
        try {
            while (!pipes.isEmpty() || !closing) {
                Integer[] fds = pipes.keySet().toArray(Integer[]::new);
                int[] pollfds = new int[(fds.length + 1) * 2];
                pollfds[0] = wakeFailed ? -1 : wake[0]; // poll skips a negative fd
                pollfds[1] = POLLIN;
                for (int i = 0; i < fds.length; i++) {
                    pollfds[2 * i + 2] = fds[i];
                    pollfds[2 * i + 3] = POLLIN;
                }
                boolean last = closing;
                int ready = Native.libc().poll(pollfds, fds.length + 1,
                        last ? 0 : wakeFailed ? WITHOUT_WAKE_MILLIS : FOREVER);
                int wakeEvents = pollfds[1] >>> 16;
                if (ready > 0 && (wakeEvents & ~POLLIN) != 0) {
                    // an error or an invalid fd (closed by a stray close elsewhere) would make every poll return
                    // at once: stop watching it, and look at the pipes on a timer instead
                    wakeFailed = true;
                    log.log("worker output: the reader's wake pipe failed (poll events 0x"
                            + Integer.toHexString(wakeEvents) + "); it looks at the pipes every "
                            + WITHOUT_WAKE_MILLIS + " ms from now on");
                } else if (ready > 0 && wakeEvents != 0) {
                    while (Native.libc().read(wake[0], buffer, buffer.length) > 0) {
                        // emptied: the loop looks at the pipes and at closing again
                    }
                }
                for (int i = 0; i < fds.length && ready > 0; i++) {
                    if ((pollfds[2 * i + 3] >>> 16) != 0) {
                        read(fds[i], buffer);
                    }
                }
                if (last) {
                    pipes.keySet().forEach(fd -> drain(fd, buffer));
                }
            }
        } finally {
            synchronized (wake) { // a later wake() must not write to a closed fd, nor to another file that reused it
                wakeClosed = true;
                Native.closeQuietly(wake[0]);
                Native.closeQuietly(wake[1]);
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
        Long pid;
        synchronized (this) {
            ArrayDeque<String> tail = tails.remove(fd);
            pid = pipes.remove(fd);
            if (pid != null) {
                Native.closeQuietly(fd);
                ended.put(pid, tail == null ? List.of() : List.copyOf(tail));
            }
            notifyAll();
        }
        try {
            if (pid != null) {
                pipeEnded.accept(pid);
            }
        } catch (RuntimeException e) {
            // the listener only wakes the supervisor; a failure must not stop the reader
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
