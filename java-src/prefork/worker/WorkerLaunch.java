package prefork.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import prefork.ListenerSpec;
import prefork.internal.AddressPolicy;
import prefork.internal.TlsSettings;

/**
 * The worker JVM's command-line arguments, both ends: the manager writes them with {@link #argv} (after the
 * java flags and {@link Worker}'s class name), {@link Worker#main} reads them back with {@link #parse}. Named
 * arguments, so {@code ps} tells what each worker is:
 * {@code --child C --slot N --max-requests N --listener SPEC [--dispatch on] [--reuse-port-backlog N]
 * [--access-log on] [--idle-timeout-ms N] [--allow CIDR]... [--deny CIDR]... [--max-per-address N]
 * [--tls-cert PATH --tls-key PATH | --tls-keystore PATH] [--tls-client-auth want|need --tls-client-ca PATH]
 * [--tls-handshake-ms N]
 * [--property NAME=VALUE]...}.
 *
 * @param childClass the BaseChild subclass to run
 * @param listener the listener it serves (null in the class data training run; in dispatch mode the pool's first)
 * @param dispatch whether connections come from the manager over {@code WorkerFds.DISPATCH} (dispatch mode)
 * @param reusePortBacklog 0: accept on the inherited fd 0; else bind its own SO_REUSEPORT socket with this backlog
 * @param accessLog whether to write one access log line per request into fd 6
 * @param childProperties what the child reads with {@code property(name)}
 * @param idleTimeoutMillis how long a connection may send nothing before the worker closes it; 0 = never
 * @param policy who may connect (allow, deny, the per-address limit), checked right after accept
 * @param tls the key material and handshake of a tls:// listener, or null
 */
public record WorkerLaunch(String childClass, ListenerSpec listener, boolean dispatch, int reusePortBacklog,
        boolean accessLog, Map<String, String> childProperties, long idleTimeoutMillis, AddressPolicy policy,
        TlsSettings tls) {
    /** One worker's launch: the pool's, plus its slot and its own max requests (jitter included; 0 = never). */
    public record Instance(WorkerLaunch launch, int slot, long maxRequests) {}

    public WorkerLaunch {
        childProperties = Map.copyOf(childProperties);
        policy = policy == null ? AddressPolicy.OPEN : policy;
    }

    /** The arguments of the worker that will own {@code slot}. */
    public List<String> argv(int slot, long maxRequests) {
        List<String> argv = new ArrayList<>(List.of("--child", childClass, "--slot", Integer.toString(slot),
                "--max-requests", Long.toString(maxRequests)));
        if (listener != null) {
            argv.addAll(List.of("--listener", listener.toString()));
        }
        if (dispatch) {
            argv.addAll(List.of("--dispatch", "on"));
        }
        if (reusePortBacklog > 0) {
            argv.addAll(List.of("--reuse-port-backlog", Integer.toString(reusePortBacklog)));
        }
        if (accessLog) {
            argv.addAll(List.of("--access-log", "on"));
        }
        if (idleTimeoutMillis > 0) {
            argv.addAll(List.of("--idle-timeout-ms", Long.toString(idleTimeoutMillis)));
        }
        policy.allowList().forEach(cidr -> argv.addAll(List.of("--allow", cidr)));
        policy.denyList().forEach(cidr -> argv.addAll(List.of("--deny", cidr)));
        if (policy.maxPerAddress() > 0) {
            argv.addAll(List.of("--max-per-address", Integer.toString(policy.maxPerAddress())));
        }
        if (tls != null) {
            addPath(argv, "--tls-cert", tls.cert());
            addPath(argv, "--tls-key", tls.key());
            addPath(argv, "--tls-keystore", tls.keystore());
            argv.addAll(List.of("--tls-client-auth", tls.clientAuth()));
            addPath(argv, "--tls-client-ca", tls.clientCa());
            argv.addAll(List.of("--tls-handshake-ms", Long.toString(tls.handshakeTimeoutMillis())));
        }
        childProperties.forEach((name, value) -> argv.addAll(List.of("--property", name + "=" + value)));
        return argv;
    }

    /** Reads what {@link #argv} wrote; throws IllegalArgumentException for anything else. */
    public static Instance parse(String[] args) {
        String child = null;
        ListenerSpec listener = null;
        int slot = 0, backlog = 0;
        boolean accessLog = false, dispatch = false;
        long maxRequests = 0, idleTimeoutMillis = 0;
        Map<String, String> properties = new LinkedHashMap<>();
        List<String> allow = new ArrayList<>(), deny = new ArrayList<>();
        int maxPerAddress = 0;
        Map<String, String> tls = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--child" -> child = value;
                case "--slot" -> slot = Integer.parseInt(value);
                case "--max-requests" -> maxRequests = Long.parseLong(value);
                case "--listener" -> listener = ListenerSpec.parse(value);
                case "--reuse-port-backlog" -> backlog = Integer.parseInt(value);
                case "--access-log" -> accessLog = value.equals("on");
                case "--dispatch" -> dispatch = value.equals("on");
                case "--idle-timeout-ms" -> idleTimeoutMillis = Long.parseLong(value);
                case "--allow" -> allow.add(value);
                case "--deny" -> deny.add(value);
                case "--max-per-address" -> maxPerAddress = Integer.parseInt(value);
                case "--tls-cert", "--tls-key", "--tls-keystore", "--tls-client-auth", "--tls-client-ca",
                        "--tls-handshake-ms" -> tls.put(args[i], value);
                case "--property" -> {
                    int eq = value.indexOf('=');
                    properties.put(value.substring(0, eq), value.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown worker argument " + args[i]);
            }
        }
        if (child == null || args.length % 2 != 0) {
            throw new IllegalArgumentException("worker arguments must be --name value pairs with --child");
        }
        TlsSettings settings = tls.isEmpty() ? null : new TlsSettings(path(tls.get("--tls-cert")),
                path(tls.get("--tls-key")), path(tls.get("--tls-keystore")), tls.get("--tls-client-auth"),
                path(tls.get("--tls-client-ca")), Long.parseLong(tls.get("--tls-handshake-ms")));
        return new Instance(new WorkerLaunch(child, listener, dispatch, backlog, accessLog, properties,
                idleTimeoutMillis, AddressPolicy.of(allow, deny, maxPerAddress), settings), slot, maxRequests);
    }

    private static void addPath(List<String> argv, String name, java.nio.file.Path path) {
        if (path != null) {
            argv.addAll(List.of(name, path.toString()));
        }
    }

    private static java.nio.file.Path path(String text) {
        return text == null ? null : java.nio.file.Path.of(text);
    }
}
