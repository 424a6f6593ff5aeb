package prefork.manager;

import prefork.internal.LibC;
import prefork.internal.Native;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import prefork.internal.ControlProtocol;
import prefork.internal.WorkerFds;

/**
 * Starts worker JVMs with glibc posix_spawn: listener on fd 0, an output pipe of its own on fds 1 and 2 (read
 * by {@link WorkerOutput}, which attributes every line to the worker and keeps its last lines), a private
 * control pipe on fd 3, the scoreboard on fd 4, the shared reply pipe on fd 5, the access log pipe on fd 6
 * (only when the access log is on), in dispatch mode its dispatch socket on fd 7 (and /dev/null on fd 0, and
 * on 6 without an access log), every other fd closed,
 * default signal dispositions, an empty signal mask, and a process group of its own (a terminal's Ctrl-C
 * reaches only the manager). The manager's end of each control pipe is non-blocking: a stuck worker cannot
 * stall the caller for more than {@link #SEND_LIMIT_NANOS}.
 */
final class SpawnedWorkers implements WorkerProcesses {
    static final long SEND_LIMIT_NANOS = 2_000_000_000L;

    private final Command command;
    private final int listenerFd;
    private final WorkerOutput output;
    private final int scoreboardFd;
    private final int repliesFd;
    private final int accessLogFd;
    /** Who workers run as (their control pipe is handed over to it), or null. */
    private final WorkerUser user;
    /** Variables added to the manager's environment for every worker. */
    private final Map<String, String> environment;
    /** pid to the manager's end of its control pipe. */
    private final Map<Long, ControlPipe> controls = new ConcurrentHashMap<>();
    /** Dispatch mode: where each worker's end of its dispatch socket is registered; null otherwise. */
    private DispatchTargets dispatch;

    /** The manager's end of one worker's control pipe; a write never races the close. */
    private static final class ControlPipe {
        private int fd;

        ControlPipe(int fd) {
            this.fd = fd;
        }

        /**
         * Writes the whole message or, if the worker does not drain the pipe within the limit, closes it: a
         * half-written message would garble everything after it, while EOF makes the worker exit (and the
         * supervisor replace it).
         */
        synchronized boolean send(byte[] message) {
            if (fd < 0) {
                return false;
            }
            if (writeFully(fd, message)) {
                return true;
            }
            close();
            return false;
        }

        synchronized void close() {
            Native.closeQuietly(fd);
            fd = -1;
        }
    }

    /** The whole command line of the worker that will own {@code slot}, made at each spawn. */
    @FunctionalInterface
    interface Command {
        List<String> of(int slot, long maxRequests);
    }

    /**
     * {@code accessLogFd} is the access log (the file, or the access pipe's write end), for fd 6 (-1 when the
     * access log is off); {@code user} is who workers run as, or null; {@code environment} is added to the
     * workers' environment (a secret that must not be on their command line).
     */
    SpawnedWorkers(Command command, int listenerFd, WorkerOutput output, int scoreboardFd, int repliesFd,
            int accessLogFd, WorkerUser user, Map<String, String> environment) {
        this.user = user;
        this.environment = Map.copyOf(environment);
        this.command = command;
        this.listenerFd = listenerFd;
        this.output = output;
        this.scoreboardFd = scoreboardFd;
        this.repliesFd = repliesFd;
        this.accessLogFd = accessLogFd;
    }

    /**
     * Dispatch mode, called before the first spawn: each worker gets a socket pair's end on fd 7 and the
     * other end goes to {@code targets}; the listener fd given to the constructor is then /dev/null's.
     */
    void dispatchTo(DispatchTargets targets) {
        this.dispatch = targets;
    }

    @Override
    public List<String> lastOutput(long pid) {
        return output.lastLines(pid, WorkerOutput.EOF_LIMIT);
    }

    @Override
    public long spawn(int slot, long maxRequests) throws IOException {
        LibC c = Native.libc();
        int[] pipe = new int[2];
        Native.check(c.pipe2(pipe, Native.O_CLOEXEC), "pipe2");
        int[] out = null;
        int[] pair = {-1, -1};
        try {
            out = WorkerOutput.newPipe();
            if (dispatch != null) {
                Native.check(c.socketpair(Native.AF_UNIX, Native.SOCK_SEQPACKET | Native.SOCK_CLOEXEC, 0, pair),
                        "socketpair");
            }
            Native.check(c.fcntl(pipe[1], Native.F_SETFL, Native.O_NONBLOCK), "fcntl O_NONBLOCK");
            if (user != null) {
                user.handOver(pipe[0]);
            }
            long pid = spawn(command.of(slot, maxRequests), pipe[0], out[1], pair[1]);
            controls.put(pid, new ControlPipe(pipe[1]));
            if (dispatch != null) {
                dispatch.add(slot, pid, pair[0]);
            }
            output.add(out[0], pid);
            return pid;
        } catch (IOException | RuntimeException e) {
            Native.closeQuietly(pipe[1]);
            Native.closeQuietly(pair[0]);
            if (out != null) {
                Native.closeQuietly(out[0]);
            }
            throw e;
        } finally {
            Native.closeQuietly(pipe[0]);
            Native.closeQuietly(pair[1]);
            if (out != null) {
                Native.closeQuietly(out[1]);
            }
        }
    }

    /** {@code dispatchFd}: the worker's end of its dispatch socket, or -1 outside dispatch mode. */
    private long spawn(List<String> argv, int controlReadFd, int outputFd, int dispatchFd) throws IOException {
        List<ProcessSpawn.Fd> fds = new ArrayList<>(List.of(new ProcessSpawn.Fd(listenerFd, WorkerFds.LISTENER),
                new ProcessSpawn.Fd(outputFd, 1), new ProcessSpawn.Fd(outputFd, 2),
                new ProcessSpawn.Fd(controlReadFd, WorkerFds.CONTROL), new ProcessSpawn.Fd(scoreboardFd, WorkerFds.SCOREBOARD),
                new ProcessSpawn.Fd(repliesFd, WorkerFds.REPLIES)));
        if (accessLogFd >= 0 || dispatchFd >= 0) {
            fds.add(new ProcessSpawn.Fd(accessLogFd >= 0 ? accessLogFd : listenerFd, WorkerFds.ACCESS_LOG));
        }
        if (dispatchFd >= 0) {
            fds.add(new ProcessSpawn.Fd(dispatchFd, WorkerFds.DISPATCH));
        }
        int closeFrom = (dispatchFd >= 0 ? WorkerFds.DISPATCH : accessLogFd >= 0 ? WorkerFds.ACCESS_LOG
                : WorkerFds.REPLIES) + 1;
        return ProcessSpawn.spawn("worker", argv, ChildEnvironment.entries(environment), fds, closeFrom, true);
    }

    @Override
    public boolean send(long pid, ControlProtocol.Message message) {
        ControlPipe control = controls.get(pid);
        return control != null && control.send(message.encode());
    }

    private static boolean writeFully(int fd, byte[] message) {
        long deadline = System.nanoTime() + SEND_LIMIT_NANOS;
        int offset = 0;
        while (offset < message.length) {
            byte[] rest = offset == 0 ? message : Arrays.copyOfRange(message, offset, message.length);
            long n = Native.libc().write(fd, rest, rest.length);
            if (n > 0) {
                offset += (int) n;
            } else if (System.nanoTime() - deadline > 0
                    || (Native.errno() != Native.EAGAIN && Native.errno() != Native.EINTR)) {
                return false;
            } else {
                LockSupport.parkNanos(1_000_000);
            }
        }
        return true;
    }

    @Override
    public void requestStop(long pid) {
        if (dispatch != null) {
            dispatch.stopping(pid);
        }
        WorkerProcesses.super.requestStop(pid);
    }

    @Override
    public boolean unresponsive(long pid) {
        return dispatch != null && dispatch.unresponsive(pid);
    }

    @Override
    public void kill(long pid) {
        if (dispatch != null) {
            dispatch.stopping(pid);
        }
        Native.libc().kill((int) pid, Native.SIGKILL);
    }

    @Override
    public boolean signalGroup(long pgid, int signal) {
        return pgid > 1 && Native.libc().kill((int) -pgid, signal) == 0;
    }

    @Override
    public OptionalInt pollExit(long pid) {
        int[] status = new int[1];
        int result = Native.libc().waitpid((int) pid, status, Native.WNOHANG);
        if (result == 0 || (result < 0 && Native.errno() == Native.EINTR)) {
            return OptionalInt.empty();
        }
        ControlPipe control = controls.remove(pid);
        if (control != null) {
            control.close();
        }
        return OptionalInt.of(result < 0 ? -1 : status[0]);
    }

    @Override
    public void close() {
        controls.values().forEach(ControlPipe::close);
        controls.clear();
    }
}
