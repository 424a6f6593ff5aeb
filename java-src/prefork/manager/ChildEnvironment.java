package prefork.manager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The environment the manager's children (workers, the class data archive's training JVM) get: the manager's
 * own, less systemd's variables, which are meant for the manager only (a worker must neither take the
 * sockets of LISTEN_FDS nor send to NOTIFY_SOCKET), and less an upgrade's PREFORK_UPGRADE.
 */
public final class ChildEnvironment {
    /** The variables children never get. */
    public static final Set<String> MANAGER_ONLY = Set.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
            "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", UpgradeHandover.VARIABLE);

    private ChildEnvironment() {}

    /** "NAME=VALUE" for every variable of this process but {@link #MANAGER_ONLY}. */
    public static List<String> entries() {
        return entries(Map.of());
    }

    /** The same, with {@code added} set (replacing variables of the same name). */
    public static List<String> entries(Map<String, String> added) {
        List<String> env = new ArrayList<>();
        System.getenv().forEach((name, value) -> {
            if (!MANAGER_ONLY.contains(name) && !added.containsKey(name)) {
                env.add(name + "=" + value);
            }
        });
        added.forEach((name, value) -> env.add(name + "=" + value));
        return env;
    }

    /** Removes {@link #MANAGER_ONLY} from a ProcessBuilder's environment. */
    public static void clean(Map<String, String> processEnvironment) {
        processEnvironment.keySet().removeAll(MANAGER_ONLY);
    }
}
