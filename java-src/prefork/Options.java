package prefork;

import static prefork.OptionTypes.bool;
import static prefork.OptionTypes.choice;
import static prefork.OptionTypes.defaultCacheDirectory;
import static prefork.OptionTypes.integer;
import static prefork.OptionTypes.listOf;
import static prefork.OptionTypes.longs;
import static prefork.OptionTypes.octalMode;
import static prefork.OptionTypes.path;
import static prefork.OptionTypes.properties;
import static prefork.OptionTypes.protocol;
import static prefork.OptionTypes.seconds;
import static prefork.OptionTypes.size;
import static prefork.OptionTypes.text;
import static prefork.OptionTypes.words;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The option catalogue: every option of a server, defined once. The builder's setters, the launcher's flags
 * and {@code --help}, the config file, the Clojure API's keys and its docstring, and the README's table all
 * come from this list ({@link #all()}); {@code OptionsCatalogueTest} fails when a surface misses one.
 */
public final class Options {
    private static final Map<String, Option<?>> BY_KEBAB = new LinkedHashMap<>();

    private Options() {}

    // ---- listeners
    public static final Option<Integer> PORT = add("port", "port", integer(0, 65535), 10000, "10000",
            "the port to bind, 0 for any free one");
    public static final Option<String> BIND_IP = add("bindIp", "bind", text("IP"), "127.0.0.1", "127.0.0.1",
            "the address to bind, an IPv4 or IPv6 literal or a host name; 0.0.0.0 or :: for all");
    public static final Option<Protocol> PROTOCOL = add("protocol", "protocol", protocol(), Protocol.TCP, "tcp",
            "tcp, tls (TCP with TLS, see tls-cert), udp or unix (a Unix stream socket at unix-path)");
    public static final Option<String> UNIX_PATH = add("unixPath", "unix-path", text("PATH"), null, "none",
            "the socket file for protocol unix; a stale file is replaced, a live server's refused");
    public static final Option<String> UNIX_MODE = add("unixMode", "unix-mode", octalMode(), null, "the umask's",
            "the octal mode of Unix socket files, e.g. 660");
    public static final Option<List<ListenerSpec>> ADD_LISTENER = repeatable("addListener", "add-listener",
            listOf("SPEC", ListenerSpec.class, ListenerSpec::parse), "none",
            "another listener with a pool of its own: tcp://H:P, tls://H:P, udp://H:P or unix:/PATH (repeatable)");
    public static final Option<Integer> LISTEN = add("listen", "listen", integer(1, 65535), 1024, "1024",
            "the TCP listen backlog (the model's 5 makes clients wait on SYN retries)");
    public static final Option<String> ACCEPT_MODE = add("acceptMode", "accept-mode",
            choice("shared", "reuse-port", "dispatch"), "shared", "shared",
            "who accepts: shared (workers on one socket), reuse-port (a SO_REUSEPORT socket per worker, tcp only),"
            + " dispatch (the manager, passing each connection to an idle worker; one pool for every stream listener)");
    public static final Option<Boolean> REUSE_PORT = add("reusePort", "reuse-port", bool(), false, "false",
            "deprecated alias: true means accept-mode reuse-port");
    public static final Option<String> OVERLOAD = add("overload", "overload", choice("queue", "close"), "queue",
            "queue", "dispatch mode, every worker busy at max-servers: queue (leave connections in the kernel's queue)"
            + " or close (accept and close them at once)");
    public static final Option<Duration> DISPATCH_TIMEOUT = add("dispatchTimeout", "dispatch-timeout", seconds(),
            Duration.ofSeconds(2), "2", "dispatch mode: seconds a worker may take to take a connection before it"
            + " is killed as hung (the connection then goes to another worker)");

    // ---- who may connect (checked by the worker right after accept, before any child hook)
    public static final Option<List<String>> ALLOW = repeatable("allow", "allow", listOf("CIDR", String.class,
            OptionTypes::cidr), "none (all)", "admit only clients in this block, e.g. 10.0.0.0/8 or ::1/128 (repeatable)");
    public static final Option<List<String>> DENY = repeatable("deny", "deny", listOf("CIDR", String.class,
            OptionTypes::cidr), "none", "refuse clients in this block, even if allowed (repeatable)");
    public static final Option<Integer> MAX_CONNECTIONS_PER_ADDRESS = add("maxConnectionsPerAddress",
            "max-connections-per-address", integer(0, PoolBounds.MAX_SERVERS_LIMIT), 0, "0",
            "the most connections one client address may have open at once (per listener); 0 = no limit");

    // ---- TLS listeners (tls://H:P, or protocol tls)
    public static final Option<Path> TLS_CERT = add("tlsCert", "tls-cert", path(), null, "none",
            "the server's certificate chain, PEM, for tls listeners (with tls-key)");
    public static final Option<Path> TLS_KEY = add("tlsKey", "tls-key", path(), null, "none",
            "the certificate's private key, PEM: PKCS#8 (BEGIN PRIVATE KEY) or RSA PKCS#1, unencrypted");
    public static final Option<Path> TLS_KEYSTORE = add("tlsKeystore", "tls-keystore", path(), null, "none",
            "a PKCS#12 file with the key and its certificate chain, instead of tls-cert and tls-key");
    public static final Option<String> TLS_KEYSTORE_PASSWORD = add("tlsKeystorePassword", "tls-keystore-password",
            text("TEXT"), "", "empty", "the password of tls-keystore (workers get it in their environment, not argv)");
    public static final Option<String> TLS_CLIENT_AUTH = add("tlsClientAuth", "tls-client-auth",
            choice("none", "want", "need"), "none", "none",
            "ask clients for a certificate signed by tls-client-ca: want (optional) or need (refused without)");
    public static final Option<Path> TLS_CLIENT_CA = add("tlsClientCa", "tls-client-ca", path(), null, "none",
            "the CA certificates, PEM, that client certificates must chain to (for tls-client-auth)");
    public static final Option<Duration> TLS_HANDSHAKE_TIMEOUT = add("tlsHandshakeTimeout", "tls-handshake-timeout",
            seconds(), Duration.ofSeconds(10), "10", "seconds a client may take to complete the TLS handshake");

    // ---- the pool
    public static final Option<Integer> MIN_SERVERS = add("minServers", "min-servers",
            integer(0, PoolBounds.MAX_SERVERS_LIMIT), 5, "5", "the fewest workers; start returns once this many are ready");
    public static final Option<Integer> MAX_SERVERS = add("maxServers", "max-servers",
            integer(1, PoolBounds.MAX_SERVERS_LIMIT), 20, "20", "the most workers at any time");
    public static final Option<Integer> MIN_SPARE_SERVERS = add("minSpareServers", "min-spare-servers",
            integer(0, PoolBounds.MAX_SERVERS_LIMIT), 2, "2", "more workers are spawned when fewer are idle");
    public static final Option<Integer> MAX_SPARE_SERVERS = add("maxSpareServers", "max-spare-servers",
            integer(0, PoolBounds.MAX_SERVERS_LIMIT), 10, "10", "idle workers beyond this are retired, one a second");
    public static final Option<Boolean> GROW_WHEN_CPU_BUSY = add("growWhenCpuBusy", "grow-when-cpu-busy", bool(),
            false, "false", "true: spawn spare workers even while every CPU is busy (by default, while all are and the"
            + " workers finish requests, only min-servers is kept: a new JVM would take CPU from the serving workers)");
    public static final Option<Long> MAX_REQUESTS = add("maxRequests", "max-requests", longs(0, Long.MAX_VALUE / 2),
            0L, "0", "requests a worker handles before it is replaced; 0 = never");
    public static final Option<Long> MAX_REQUESTS_JITTER = add("maxRequestsJitter", "max-requests-jitter",
            longs(0, Long.MAX_VALUE / 2), 0L, "0", "adds 0..N to each worker's max-requests");

    // ---- deadlines
    public static final Option<Duration> TIMEOUT = add("timeout", "timeout", seconds(), Duration.ofSeconds(30), "30",
            "seconds a worker may be busy on one request before it is killed; 0 = never");
    public static final Option<Duration> IDLE_TIMEOUT = add("idleTimeout", "idle-timeout", seconds(),
            Duration.ofSeconds(10), "10", "seconds a connection may send nothing before its worker closes it; 0 = never");
    public static final Option<Duration> GRACEFUL_TIMEOUT = add("gracefulTimeout", "graceful-timeout", seconds(),
            Duration.ofSeconds(30), "30", "seconds a stopping worker may take to finish its request");
    public static final Option<Duration> START_TIMEOUT = add("startTimeout", "start-timeout", seconds(),
            Duration.ofSeconds(60), "60", "seconds start waits for min-servers workers, and any worker may boot");

    // ---- memory
    public static final Option<Long> MAX_WORKER_MEMORY = add("maxWorkerMemory", "max-worker-memory", size(), null,
            "off", "a worker using more (200m, 1g) is asked to stop after its current request and replaced");
    public static final Option<String> MAX_WORKER_MEMORY_KIND = add("maxWorkerMemoryKind", "max-worker-memory-kind",
            choice("pss", "rss"), "pss", "pss", "what max-worker-memory measures: pss (shared pages divided) or rss");
    public static final Option<Duration> MEMORY_CHECK_INTERVAL = add("memoryCheckInterval", "memory-check-interval",
            seconds(), Duration.ofSeconds(5), "5", "seconds between two memory samples of a worker (randomized by ±50%)");

    // ---- worker JVMs
    public static final Option<String> JAVA_COMMAND = add("javaCommand", "java-command", text("PATH"),
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "this JVM's java",
            "the java binary workers run");
    public static final Option<String> CLASSPATH = add("classpath", "classpath", text("PATH:PATH"),
            System.getProperty("java.class.path"), "this JVM's java.class.path",
            "the workers' class path (made absolute); unset: java.class.path and a runner's URLClassLoader"
            + " (exec:java); the launcher's: the application's, loaded in the manager too and added to prefork's");
    public static final Option<List<String>> WORKER_JVM_OPTS = add("workerJvmOptions", "worker-jvm-opts",
            words(), List.of(), "none",
            "JVM flags for workers, space separated, after ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS (the last wins)");
    public static final Option<Boolean> WORKER_JVM_OPTS_REPLACE = add("workerJvmOptionsReplace",
            "worker-jvm-opts-replace", bool(), false, "false",
            "true: worker-jvm-opts replace the default worker flags instead of following them");
    public static final Option<Map<String, String>> CHILD_PROPERTY = repeatable("childProperty", "child-property",
            properties(), "none", "NAME=VALUE a worker's child reads with property(NAME) (repeatable)");
    public static final Option<Boolean> CLASS_DATA_SHARING = add("classDataSharing", "class-data-sharing", bool(),
            true, "true", "workers share an AppCDS archive of their boot classes (jar class paths only)");
    public static final Option<Path> CACHE_DIRECTORY = add("cacheDirectory", "cache-directory", path(),
            defaultCacheDirectory(), "$XDG_CACHE_HOME/prefork or ~/.cache/prefork", "where class data archives are kept");

    // ---- the manager
    public static final Option<Boolean> HANDLE_SIGNALS = add("handleSignals", "handle-signals", bool(), false,
            "false (the launcher: true)", "install the HUP, INT, TERM, TTIN, TTOU and USR1 handlers");
    public static final Option<Path> PID_FILE = add("pidFile", "pid-file", path(), null, "none",
            "a file holding the manager's pid while it runs");
    public static final Option<String> USER = add("user", "user", text("NAME"), null, "the manager's",
            "run workers as this user (name or uid; the manager binds first, as root), through setpriv");
    public static final Option<String> GROUP = add("group", "group", text("NAME"), null, "the user's group",
            "run workers with this group (name or gid) and no supplementary groups");
    public static final Option<Path> LOG_FILE = add("logFile", "log-file", path(), null, "stderr",
            "append the log to this file; USR1 reopens it");
    public static final Option<String> ACCESS_LOG = add("accessLog", "access-log", text("PATH|-"), null, "off",
            "one line per connection or datagram to this file (- = stdout); USR1 reopens it");

    // ---- metrics, health and readiness
    public static final Option<Integer> METRICS_PORT = add("metricsPort", "metrics-port", integer(0, 65535), null,
            "off", "serve /metrics (Prometheus), /healthz and /readyz over HTTP on this port (0 = any free port)");
    public static final Option<String> METRICS_BIND = add("metricsBind", "metrics-bind", text("IP"), "127.0.0.1",
            "127.0.0.1", "the address of the metrics port");

    // ---- the control plane
    public static final Option<Integer> NREPL_PORT = add("nreplPort", "nrepl-port", integer(0, 65535), null, "off",
            "start the nREPL control plane on this loopback port (0 = any free port)");
    public static final Option<String> NREPL_BIND = add("nreplBind", "nrepl-bind", text("IP"), "127.0.0.1",
            "127.0.0.1", "the nREPL address; a non-loopback one needs nrepl-allow-remote");
    public static final Option<Path> NREPL_SOCKET = add("nreplSocket", "nrepl-socket", path(), null, "off",
            "start the nREPL control plane on this Unix socket (mode 0600) instead of a port");
    public static final Option<Boolean> NREPL_ALLOW_REMOTE = add("nreplAllowRemote", "nrepl-allow-remote", bool(),
            false, "false", "allow a non-loopback nrepl-bind (remote code execution for the network!)");
    public static final Option<List<String>> WATCH = repeatable("watch", "watch", listOf("NS", String.class, OptionTypes::namespace),
            "none", "more Clojure namespaces whose nREPL evaluations reach the workers (repeatable)");

    /** Every option, in the order of --help and the README. */
    public static Collection<Option<?>> all() {
        return BY_KEBAB.values();
    }

    /** The option with kebab name {@code kebab} ("max-servers"), if there is one. */
    public static Optional<Option<?>> byKebab(String kebab) {
        return Optional.ofNullable(BY_KEBAB.get(kebab));
    }

    /** The options as the README's Markdown table (flag, Clojure key, builder method, default, help). */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| flag / config key | Clojure | builder | default | what it does |\n");
        out.append("|---|---|---|---|---|\n");
        for (Option<?> option : all()) {
            out.append("| `").append(option.flag()).append(' ').append(option.argument().replace("|", "\\|"))
                    .append("` | `").append(option.keyword()).append("` | `").append(option.name()).append("` | ")
                    .append(option.defaultText()).append(" | ").append(option.help()).append(" |\n");
        }
        return out.toString();
    }

    private static <T> Option<T> add(String name, String kebab, Option.Type<T> type, T defaultValue,
            String defaultText, String help) {
        return register(new Option<>(name, kebab, type, defaultValue, defaultText, help, false));
    }

    private static <T> Option<T> repeatable(String name, String kebab, Option.Type<T> type, String defaultText,
            String help) {
        return register(new Option<>(name, kebab, type, null, defaultText, help, true));
    }

    private static <T> Option<T> register(Option<T> option) {
        BY_KEBAB.put(option.kebab(), option);
        return option;
    }
}
