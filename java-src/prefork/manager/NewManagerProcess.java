package prefork.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import prefork.internal.LibC;
import prefork.internal.Native;

/**
 * The new manager of an upgrade, started with posix_spawn through {@code /bin/sh -c 'LISTEN_PID=$$; export
 * LISTEN_PID; exec "$@"'} (so that LISTEN_PID is its own pid, as socket activation wants): the listeners on fds
 * 3.., then the write end of the readiness pipe (it says "ready PID" there), then the read end of the release
 * pipe (it waits for "released" there before it binds the control plane and metrics ports and writes the pid
 * file), every other fd above 2 closed, default signal dispositions, an
 * empty signal mask, in this manager's process group, with this manager's environment plus LISTEN_FDS,
 * LISTEN_FDNAMES and {@link UpgradeHandover#VARIABLE}.
 */
final class NewManagerProcess {
    private static final int F_DUPFD_CLOEXEC = 1030, POLLIN = 1;
    /** Variables that describe this manager's start, not the new one's. */
    private static final Set<String> NOT_PASSED = Set.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID",
            UpgradeHandover.VARIABLE);
    final long pid;
    private int readFd;
    private int releaseFd;

    private NewManagerProcess(long pid, int readFd, int releaseFd) {
        this.pid = pid;
        this.readFd = readFd;
        this.releaseFd = releaseFd;
    }

    /**
     * Starts {@code argv} with {@code listenerFds} (named by {@code names}) on fds 3..; {@code ports} is the
     * handover's "nrepl-port=P metrics-port=Q". Throws IOException when it cannot be spawned.
     */
    static NewManagerProcess spawn(List<String> argv, List<Integer> listenerFds, List<String> names, String ports)
            throws IOException {
        LibC c = Native.libc();
        int[] pipe = new int[2];
        int[] release = new int[2];
        Native.check(c.pipe2(pipe, Native.O_CLOEXEC), "pipe2");
        if (c.pipe2(release, Native.O_CLOEXEC) < 0) {
            IOException e = Native.error("pipe2", Native.errno());
            Native.closeQuietly(pipe[0]);
            Native.closeQuietly(pipe[1]);
            throw e;
        }
        int first = SocketActivation.FIRST_FD, readyFd = first + listenerFds.size();
        List<Integer> sources = new ArrayList<>(listenerFds);
        sources.add(pipe[1]);
        sources.add(release[0]);
        List<Integer> high = new ArrayList<>(); // above every target, so that no dup2 overwrites a later source
        try {
            for (int fd : sources) {
                high.add(Native.check(c.fcntl(fd, F_DUPFD_CLOEXEC, readyFd + 2), "fcntl F_DUPFD_CLOEXEC"));
            }
            List<String> env = new ArrayList<>();
            System.getenv().forEach((name, value) -> {
                if (!NOT_PASSED.contains(name)) {
                    env.add(name + "=" + value);
                }
            });
            env.add("LISTEN_FDS=" + listenerFds.size());
            env.add("LISTEN_FDNAMES=" + String.join(":", names));
            env.add(UpgradeHandover.VARIABLE + "=ready-fd=" + readyFd + " release-fd=" + (readyFd + 1) + " parent=" + ProcessHandle.current().pid()
                    + " " + ports);
            List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                    "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"", "prefork-upgrade"));
            command.addAll(argv);
            long pid = spawn(command, env, high, first);
            return new NewManagerProcess(pid, pipe[0], release[1]);
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(pipe[0]);
            Native.closeQuietly(release[1]);
            throw e;
        } finally {
            high.forEach(Native::closeQuietly);
            Native.closeQuietly(pipe[1]);
            Native.closeQuietly(release[0]);
        }
    }

    private static long spawn(List<String> argv, List<String> env, List<Integer> fds, int first) throws IOException {
        List<ProcessSpawn.Fd> placed = new ArrayList<>();
        for (int i = 0; i < fds.size(); i++) {
            placed.add(new ProcessSpawn.Fd(fds.get(i), first + i));
        }
        return ProcessSpawn.spawn("the new manager", argv, env, placed, first + fds.size(), false);
    }

    /**
     * Waits until the new manager says it is ready; throws IOException saying why not: it exited (with its wait
     * status) or closed the pipe, or it was not ready within {@code limit}.
     */
    void awaitReady(Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        StringBuilder said = new StringBuilder();
        byte[] buffer = new byte[64];
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("the new manager (pid " + pid + ") was not ready within startTimeout=" + limit);
            }
            int[] pollfd = {readFd, POLLIN};
            if (Native.libc().poll(pollfd, 1, (int) Math.min(200, left / 1_000_000 + 1)) <= 0) {
                continue;
            }
            long n = Native.libc().read(readFd, buffer, buffer.length);
            if (n > 0) {
                said.append(new String(buffer, 0, (int) n, StandardCharsets.US_ASCII));
                if (said.toString().startsWith("ready ") && said.indexOf("\n") > 0) {
                    return;
                }
            } else if (n == 0 || Native.errno() != Native.EINTR) {
                throw new IOException("the new manager (pid " + pid + ") " + exitOrEof(deadline) + " before it was ready");
            }
        }
    }

    /** "exited with exit status 1" once reaped (waiting up to 5 s, within the deadline), else "closed its pipe". */
    private String exitOrEof(long deadline) {
        long until = Math.min(deadline, System.nanoTime() + 5_000_000_000L);
        int[] status = new int[1];
        do {
            if (Native.libc().waitpid((int) pid, status, Native.WNOHANG) == pid) {
                return "exited (" + WaitStatus.describe(status[0]) + ")";
            }
            LockSupport.parkNanos(20_000_000);
        } while (System.nanoTime() - until < 0);
        return "closed its readiness pipe";
    }

    /** Stops the new manager: TERM, then KILL after {@code grace}; reaps it. Never throws. */
    void stop(Duration grace) {
        close();
        int[] status = new int[1];
        if (Native.libc().waitpid((int) pid, status, Native.WNOHANG) != 0) {
            return; // reaped already (or not our child)
        }
        Native.libc().kill((int) pid, Native.SIGTERM);
        long deadline = System.nanoTime() + grace.toNanos();
        while (Native.libc().waitpid((int) pid, status, Native.WNOHANG) == 0) {
            if (System.nanoTime() - deadline > 0) {
                Native.libc().kill((int) pid, Native.SIGKILL);
                Native.libc().waitpid((int) pid, status, 0);
                return;
            }
            LockSupport.parkNanos(20_000_000);
        }
    }

    /** Tells the new manager the ports and the pid file are free ("released"), and closes both pipes. */
    void released() {
        byte[] line = "released\n".getBytes(StandardCharsets.US_ASCII);
        Native.libc().write(releaseFd, line, line.length);
        close();
    }

    /** Closes this end of both pipes (EOF on the release pipe also lets the new manager go on). */
    void close() {
        Native.closeQuietly(readFd);
        Native.closeQuietly(releaseFd);
        readFd = -1;
        releaseFd = -1;
    }
}
