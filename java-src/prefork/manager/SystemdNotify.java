package prefork.manager;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import prefork.Log;
import prefork.internal.Native;

/**
 * The sd_notify(3) datagram socket: when {@code NOTIFY_SOCKET} is set (a path, or "@name" in the abstract
 * namespace), {@link #send} writes one datagram of "VAR=VALUE" lines to it from an AF_UNIX datagram socket
 * (close-on-exec). Without the variable, or when the socket cannot be made, it sends nothing. A failed send is
 * logged once, not at every message.
 */
public final class SystemdNotify implements AutoCloseable {
    private static final SystemdNotify NONE = new SystemdNotify(-1, null, null, Duration.ZERO);
    private int fd;
    private final byte[] address;
    private final Log log;
    private final Duration watchdog;
    private boolean failureLogged;

    private SystemdNotify(int fd, byte[] address, Log log, Duration watchdog) {
        this.fd = fd;
        this.address = address;
        this.log = log;
        this.watchdog = watchdog;
    }

    /** From this process's environment ({@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC}, {@code WATCHDOG_PID}). */
    public static SystemdNotify fromEnvironment(Log log) {
        return of(System.getenv(), ProcessHandle.current().pid(), log);
    }

    static SystemdNotify of(Map<String, String> env, long pid, Log log) {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return NONE;
        }
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        if ((name[0] != '/' && name[0] != '@') || name.length > 107) {
            log.log("sd_notify: NOTIFY_SOCKET=" + socket + " is not an absolute path or @abstract name; not notifying");
            return NONE;
        }
        boolean abstractName = name[0] == '@';
        byte[] sockaddr = new byte[2 + name.length + (abstractName ? 0 : 1)];
        sockaddr[0] = (byte) Native.AF_UNIX;
        System.arraycopy(name, 0, sockaddr, 2, name.length);
        if (abstractName) {
            sockaddr[2] = 0;
        }
        int fd = Native.libc().socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            log.log("sd_notify: cannot make a socket: " + Native.libc().strerror(Native.errno()) + "; not notifying");
            return NONE;
        }
        return new SystemdNotify(fd, sockaddr, log, watchdogInterval(env, pid, log));
    }

    /** WATCHDOG_USEC when it is set and WATCHDOG_PID is absent or this process; else zero (no watchdog). */
    private static Duration watchdogInterval(Map<String, String> env, long pid, Log log) {
        String usec = env.get("WATCHDOG_USEC");
        String watchdogPid = env.get("WATCHDOG_PID");
        if (usec == null || (watchdogPid != null && !watchdogPid.trim().equals(Long.toString(pid)))) {
            return Duration.ZERO;
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros > 0 ? Duration.ofNanos(micros * 1000) : Duration.ZERO;
        } catch (NumberFormatException e) {
            log.log("sd_notify: WATCHDOG_USEC=" + usec + " is not a number of microseconds; no watchdog pings");
            return Duration.ZERO;
        }
    }

    /** Whether messages go anywhere. */
    public boolean enabled() {
        return fd >= 0;
    }

    /** The watchdog interval systemd asked for (WATCHDOG_USEC), or zero when there is none. */
    public Duration watchdog() {
        return watchdog;
    }

    /** Sends {@code message} ("READY=1\nSTATUS=..."); returns whether it was sent. Thread-safe. */
    public synchronized boolean send(String message) {
        if (fd < 0) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        long sent = Native.libc().sendto(fd, bytes, bytes.length, Native.MSG_NOSIGNAL, address, address.length);
        if (sent < 0 && !failureLogged) {
            failureLogged = true;
            log.log("sd_notify: cannot send to NOTIFY_SOCKET: " + Native.libc().strerror(Native.errno())
                    + " (logged once)");
        }
        return sent >= 0;
    }

    @Override
    public synchronized void close() {
        Native.closeQuietly(fd);
        fd = -1;
    }
}
