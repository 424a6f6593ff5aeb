package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;
import prefork.InvalidOptionException;
import prefork.Options;
import prefork.internal.Native;

/**
 * The unprivileged user (and group) workers run as, from the user and group options. posix_spawn cannot change
 * the uid, so a worker is spawned through util-linux's {@code setpriv --reuid=U --regid=G --init-groups} (with an
 * explicit group: {@code --clear-groups}), which sets the ids and execs java: the worker JVM never runs as root,
 * not even while it boots. What a worker opens by path (its control pipe, reply pipe and scoreboard, as
 * /proc/self/fd/N) is handed over to that user with fchown before the spawn. The manager keeps its own user.
 *
 * @param name the user's name
 * @param uid its uid
 * @param gid the group's gid (the user's primary group unless the group option names another)
 * @param explicitGroup whether the group option was given (then no supplementary groups)
 * @param setpriv the setpriv binary
 */
public record WorkerUser(String name, int uid, int gid, boolean explicitGroup, Path setpriv) {
    private static final List<Path> SETPRIV = List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"),
            Path.of("/usr/sbin/setpriv"), Path.of("/sbin/setpriv"));

    /**
     * The worker user of {@code config}, or null when workers run as the manager does (neither option set, or
     * both naming the manager's own ids). The group option alone changes only the workers' group. Throws
     * InvalidOptionException for an unknown user or group, root as the user, a manager that is not root but
     * would need to become someone else, or a missing setpriv.
     */
    public static WorkerUser of(ServerConfig config) {
        String user = config.get(Options.USER);
        String group = config.get(Options.GROUP);
        if (user == null && group == null) {
            return null;
        }
        POSIX posix = POSIXFactory.getNativePOSIX();
        int self = posix.geteuid();
        Passwd entry = user == null ? posix.getpwuid(self)
                : user.matches("\\d+") ? posix.getpwuid(Integer.parseInt(user)) : posix.getpwnam(user);
        if (entry == null) {
            throw new InvalidOptionException(Options.USER, user, "is not a known user");
        }
        int uid = (int) entry.getUID();
        if (user != null && uid == 0) {
            throw new InvalidOptionException(Options.USER, user, "is root: workers would run with every privilege");
        }
        int gid = (int) entry.getGID();
        if (group != null) {
            Group found = group.matches("\\d+") ? posix.getgrgid(Integer.parseInt(group)) : posix.getgrnam(group);
            if (found == null) {
                throw new InvalidOptionException(Options.GROUP, group, "is not a known group");
            }
            gid = (int) found.getGID();
        }
        if (self != 0) {
            if (uid != self) {
                throw new InvalidOptionException(Options.USER, user,
                        "needs a manager running as root to switch to it (the manager runs as uid " + self + ")");
            }
            if (gid != posix.getegid()) {
                throw new InvalidOptionException(Options.GROUP, group,
                        "needs a manager running as root to switch to it (the manager runs as uid " + self + ")");
            }
            return null;
        }
        String name = user == null ? String.valueOf(config.get(Options.GROUP)) : user;
        Path setpriv = SETPRIV.stream().filter(Files::isExecutable).findFirst().orElseThrow(() ->
                new InvalidOptionException(user != null ? Options.USER : Options.GROUP, name,
                        "needs setpriv (util-linux), found in none of " + SETPRIV));
        return new WorkerUser(entry.getLoginName(), uid, gid, group != null, setpriv);
    }

    /** {@code command} (java and its arguments) run as this user: setpriv's arguments, then the command. */
    public List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of(setpriv.toString(), "--reuid=" + uid, "--regid=" + gid,
                explicitGroup ? "--clear-groups" : "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Makes the file, pipe or socket open on {@code fd} this user's, so a worker can reopen it by path. */
    public void handOver(int fd) throws IOException {
        Native.check(Native.libc().fchown(fd, uid, gid), "fchown fd " + fd + " to " + name);
    }
}
