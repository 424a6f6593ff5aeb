package prefork;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import prefork.manager.ServerConfig;

/**
 * The options of a prefork server (the model's Manager arguments, plus what operators of gunicorn and
 * Net::Server expect), each defined once in {@link Options}. Every setter returns this builder and throws
 * {@link InvalidOptionException} at once for a value of the wrong type or out of range; {@link #start()}
 * checks the options against each other before binding or spawning anything.
 */
public final class ServerBuilder {
    /**
     * Worker JVM flags chosen for quick start-up and a small footprint, on measured figures (BENCHMARKS.md):
     * the serial collector, a small initial heap, no perf data file, no macro spec checks in Clojure workers,
     * the JDK's own Linux selector provider named (without the property, the first channel a worker opens
     * looks for a provider service in every jar of its class path, opening each: about 20 ms of its boot),
     * and the class data archives mapped at the address they were made for ({@code ArchiveRelocationMode=0}, a
     * diagnostic flag): relocated to a random address (the default of current JDK 17 and 25 builds) every page
     * of the JDK's and prefork's archives is rewritten, and each worker then holds about 10 MB of private copies
     * instead of sharing them with the pool. The price is that the archived class metadata sits at the same
     * address in every worker (ASLR does not move it); {@code workerJvmOptions("-XX:ArchiveRelocationMode=1")}
     * restores relocation. The JIT is the JVM's own tiered C1 and C2 (but see
     * {@link #CLOJURE_WORKER_JVM_OPTIONS}): a worker that has served for a few seconds spends less per request
     * than with C1 alone; a pool whose workers live only a few seconds each (a small maxRequests) spends less
     * with {@code -XX:TieredStopAtLevel=1}. Where the JDK has it, the manager adds periodic trimming of the C
     * heap, which gives back the memory C2's compilations freed. Core reflection uses the JVM's native accessor
     * ({@code -Djdk.reflect.useNativeAccessorOnly=true}; JDK 18 and later, no effect on 17): otherwise JDK 18+
     * builds method-handle code for the first reflective call of each method, and the JDK's own
     * {@code FileChannel.map} makes one when a worker maps its scoreboard, which cost a JDK 25 worker about
     * 15 ms of its boot and 7 MiB of memory (measured, BENCHMARKS.md). The price: a reflective call that runs
     * hot costs about 75 ns instead of 5 once compiled (JDK 17's accessor did the same for a method's first 15
     * calls); a handler that makes many ({@code Method.invoke} per request, bean-mapping libraries) restores
     * the JDK's default with {@code workerJvmOptions("-Djdk.reflect.useNativeAccessorOnly=false")}.
     */
    public static final List<String> DEFAULT_WORKER_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-Xss512k", "-Xms8m", "-Xmx256m",
            "-XX:-UsePerfData", "-Xshare:auto", "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
            "-Dclojure.spec.skip-macros=true",
            "-Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider",
            "-Djdk.reflect.useNativeAccessorOnly=true");

    /**
     * Added after {@link #DEFAULT_WORKER_JVM_OPTIONS} for a Clojure handler: C1 only. Under tiered C2 a Clojure
     * worker's boot takes thousands of methods into C1's profiling tier, which holds about 8 MiB more per worker
     * (with profiles and code), makes it boot slower, and spends twice the CPU per connection for its first
     * seconds of serving (measured, BENCHMARKS.md). {@code workerJvmOptions("-XX:TieredStopAtLevel=4")} gives
     * Clojure workers C2.
     */
    public static final List<String> CLOJURE_WORKER_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    private final String childClass;
    private final Map<Option<?>, Object> values = new LinkedHashMap<>();
    private ManagerHooks hooks = new ManagerHooks() {};
    private Log log;

    ServerBuilder(String childClass) {
        this.childClass = Objects.requireNonNull(childClass, "childClass");
    }

    /** The child class's name, as given. */
    String childClassName() {
        return childClass;
    }

    /** Sets {@code option} to {@code value}, checked; a repeatable option's value is added to those given before. */
    public <T> ServerBuilder set(Option<T> option, T value) {
        store(option, option.check(value));
        return this;
    }

    /**
     * Sets the option whose kebab name is {@code kebab} ("max-servers") from a Java or Clojure value (numbers,
     * booleans, strings, lists, maps; seconds as numbers). Throws InvalidOptionException for an unknown name
     * (with a null option) or a bad value.
     */
    public ServerBuilder set(String kebab, Object value) {
        Option<?> option = known(kebab, value);
        storeUnchecked(option, option.convert(value));
        return this;
    }

    /** Sets the option whose kebab name is {@code kebab} from text, as a flag or a config file gives it. */
    public ServerBuilder setText(String kebab, String text) {
        Option<?> option = known(kebab, text);
        storeUnchecked(option, option.parse(text));
        return this;
    }

    /**
     * Reads options from a Java properties file: one {@code kebab-name = value} per line, as the launcher's
     * flags take them; a repeatable option takes several values separated by commas; child properties are
     * written {@code child-property.NAME = VALUE}. Throws IOException if the file cannot be read, and
     * InvalidOptionException (naming the key) for an unknown key or a bad value.
     */
    public ServerBuilder configFile(Path file) throws IOException {
        return applyConfig(readConfig(file));
    }

    /** The properties in {@code file}; throws IOException naming the file when it cannot be read. */
    static Properties readConfig(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException e) {
            throw new IOException("config file " + file + " cannot be read: " + e, e);
        }
        return properties;
    }

    /** Applies options given as config-file properties (see {@link #configFile}). */
    ServerBuilder applyConfig(Properties properties) {
        for (String key : new java.util.TreeSet<>(properties.stringPropertyNames())) {
            String text = properties.getProperty(key).trim();
            if (key.startsWith(Options.CHILD_PROPERTY.kebab() + ".")) {
                setText(Options.CHILD_PROPERTY.kebab(), key.substring(Options.CHILD_PROPERTY.kebab().length() + 1) + "=" + text);
            } else if (Options.byKebab(key).map(Option::repeatable).orElse(false)) {
                for (String item : text.split("\\s*,\\s*")) {
                    if (!item.isEmpty()) {
                        setText(key, item);
                    }
                }
            } else {
                setText(key, text);
            }
        }
        return this;
    }

    private static Option<?> known(String kebab, Object value) {
        return Options.byKebab(kebab).orElseThrow(() -> new InvalidOptionException(null, value,
                "is given for an unknown option \"" + kebab + "\""));
    }

    @SuppressWarnings("unchecked")
    private void storeUnchecked(Option<?> option, Object value) {
        store((Option<Object>) option, value);
    }

    private <T> void store(Option<T> option, T value) {
        Object previous = values.get(option);
        if (option.repeatable() && previous instanceof List<?> list) {
            List<Object> joined = new ArrayList<>(list);
            joined.addAll((List<?>) value);
            values.put(option, List.copyOf(joined));
        } else if (option.repeatable() && previous instanceof Map<?, ?> map) {
            Map<Object, Object> joined = new LinkedHashMap<>(map);
            joined.putAll((Map<?, ?>) value);
            values.put(option, Map.copyOf(joined));
        } else {
            values.put(option, value);
        }
    }

    /** Maximum number of workers at any time (default 20). */
    public ServerBuilder maxServers(int value) { return set(Options.MAX_SERVERS, value); }

    /** Minimum number of workers (default 5); start() returns once this many are ready. */
    public ServerBuilder minServers(int value) { return set(Options.MIN_SERVERS, value); }

    /** Minimum number of idle workers; more are spawned, up to maxServers, when fewer are idle (default 2). */
    public ServerBuilder minSpareServers(int value) { return set(Options.MIN_SPARE_SERVERS, value); }

    /** Maximum number of idle workers; the surplus is retired, one per second (default 10). */
    public ServerBuilder maxSpareServers(int value) { return set(Options.MAX_SPARE_SERVERS, value); }

    /** Requests a worker handles before it is replaced; 0 = unlimited (default 0). */
    public ServerBuilder maxRequests(long value) { return set(Options.MAX_REQUESTS, value); }

    /**
     * With true, a shortage of spare workers spawns more even while every CPU of the machine is busy (default
     * false: then only minServers is kept, since a JVM's start takes CPU from the serving workers; set it for
     * handlers that wait on other machines while this one is busy with other work).
     */
    public ServerBuilder growWhenCpuBusy(boolean value) { return set(Options.GROW_WHEN_CPU_BUSY, value); }

    /** Adds a random 0..value to each worker's maxRequests so workers do not all restart together (default 0). */
    public ServerBuilder maxRequestsJitter(long value) { return set(Options.MAX_REQUESTS_JITTER, value); }

    /** The address to bind: an IPv4 or IPv6 literal or a host name; "0.0.0.0" or "::" for all (default 127.0.0.1). */
    public ServerBuilder bindIp(String value) { return set(Options.BIND_IP, value); }

    /** The port to bind, 0 for any free one; read the bound port from {@link PreforkServer#port()} (default 10000). */
    public ServerBuilder port(int value) { return set(Options.PORT, value); }

    /** TCP, UDP or UNIX (a Unix domain stream socket at {@link #unixPath}) (default TCP). */
    public ServerBuilder protocol(Protocol value) { return set(Options.PROTOCOL, value); }

    /** "tcp", "udp" or "unix" (default "tcp"); throws InvalidOptionException for another name. */
    public ServerBuilder protocol(String value) { return set(Options.PROTOCOL.kebab(), value); }

    /** The socket file for protocol "unix"; a stale file is replaced, a live server's is refused (default none). */
    public ServerBuilder unixPath(String value) { return set(Options.UNIX_PATH, value); }

    /** The octal file mode of Unix socket files, e.g. "660" (default: as the umask gives). */
    public ServerBuilder unixMode(String value) { return set(Options.UNIX_MODE.kebab(), value); }

    /**
     * Also listens on {@code spec} ("tcp://host:port", "tls://host:port", "udp://host:port" or "unix:/path"), with a worker pool
     * of its own under the same options and child class (default: only the bindIp/port/protocol listener).
     */
    public ServerBuilder addListener(String spec) { return setText(Options.ADD_LISTENER.kebab(), spec); }

    /** TCP listen backlog (default 1024; the model's 5 makes clients wait on SYN retries under load). */
    public ServerBuilder listen(int value) { return set(Options.LISTEN, value); }

    /**
     * Who accepts connections (default "shared"): "shared" (every worker blocks in accept on the one socket),
     * "reuse-port" (each worker binds a SO_REUSEPORT socket of its own and runs preBind/postBind; TCP only) or
     * "dispatch" (the manager accepts on every stream listener and passes each connection to its least recently
     * used idle worker; one pool serves every TCP and Unix listener). Throws InvalidOptionException for any
     * other name.
     */
    public ServerBuilder acceptMode(String value) { return set(Options.ACCEPT_MODE.kebab(), value); }

    /** Deprecated alias of {@code acceptMode("reuse-port")} when true (default false). */
    @Deprecated
    public ServerBuilder reusePort(boolean value) { return set(Options.REUSE_PORT, value); }

    /**
     * Admits only clients in this CIDR block ("10.0.0.0/8", "::1/128", or one address), adding to the allow
     * list; checked by the worker right after accept, before any child hook (default: every address). Throws
     * InvalidOptionException for a malformed block or one with bits set after its prefix.
     */
    public ServerBuilder allow(String cidr) { return setText(Options.ALLOW.kebab(), cidr); }

    /** Refuses clients in this CIDR block, even when allowed; adds to the deny list (default: none). */
    public ServerBuilder deny(String cidr) { return setText(Options.DENY.kebab(), cidr); }

    /**
     * The most connections one client address may have open at once on a listener; more are closed at accept,
     * before any child hook (default 0: no limit).
     */
    public ServerBuilder maxConnectionsPerAddress(int value) { return set(Options.MAX_CONNECTIONS_PER_ADDRESS, value); }

    /** The PEM certificate chain of tls listeners, with {@link #tlsKey} (default none); checked in start(). */
    public ServerBuilder tlsCert(Path value) { return set(Options.TLS_CERT, value); }

    /** The PEM private key (PKCS#8, or RSA PKCS#1; unencrypted) of {@link #tlsCert} (default none). */
    public ServerBuilder tlsKey(Path value) { return set(Options.TLS_KEY, value); }

    /** A PKCS#12 keystore with the key and chain, instead of tlsCert and tlsKey (default none). */
    public ServerBuilder tlsKeystore(Path value) { return set(Options.TLS_KEYSTORE, value); }

    /** The password of {@link #tlsKeystore} (default empty); workers get it in their environment. */
    public ServerBuilder tlsKeystorePassword(String value) { return set(Options.TLS_KEYSTORE_PASSWORD, value); }

    /** "none" (default), "want" or "need": whether tls listeners ask clients for a certificate. */
    public ServerBuilder tlsClientAuth(String value) { return set(Options.TLS_CLIENT_AUTH, value); }

    /** The PEM CA certificates client certificates must chain to; needed with tlsClientAuth (default none). */
    public ServerBuilder tlsClientCa(Path value) { return set(Options.TLS_CLIENT_CA, value); }

    /** How long a client may take over the TLS handshake before the worker closes it (default 10 s). */
    public ServerBuilder tlsHandshakeTimeout(Duration value) { return set(Options.TLS_HANDSHAKE_TIMEOUT.kebab(), value); }

    /**
     * Dispatch mode, when every worker is busy and maxServers are running: "queue" (default: stop accepting,
     * so connections wait in the kernel's queue until a worker is idle) or "close" (accept and close them at
     * once). Throws InvalidOptionException for any other name.
     */
    public ServerBuilder overload(String value) { return set(Options.OVERLOAD.kebab(), value); }

    /**
     * Dispatch mode: how long a worker may take to take a connection passed to it before it is killed as hung
     * and the connection goes to another worker (default 2 s; must be above zero).
     */
    public ServerBuilder dispatchTimeout(Duration value) { return set(Options.DISPATCH_TIMEOUT.kebab(), value); }

    /** A worker busy on one request longer than this is killed and replaced; zero = never (default 30 s). */
    public ServerBuilder timeout(Duration value) { return set(Options.TIMEOUT.kebab(), value); }

    /**
     * How long a TCP connection may send nothing while the handler reads it through {@code conn()}'s stream
     * (SO_TIMEOUT) before the read fails and the connection is closed, separately from the busy
     * {@link #timeout}; zero = never (default 10 s). Throws InvalidOptionException for a negative or overlong
     * duration.
     */
    public ServerBuilder idleTimeout(Duration value) { return set(Options.IDLE_TIMEOUT.kebab(), value); }

    /** How long a stopping worker may take to finish its request before it is killed (default 30 s). */
    public ServerBuilder gracefulTimeout(Duration value) { return set(Options.GRACEFUL_TIMEOUT.kebab(), value); }

    /** How long start() waits for minServers workers to be ready, and any worker may take to boot (default 60 s). */
    public ServerBuilder startTimeout(Duration value) { return set(Options.START_TIMEOUT.kebab(), value); }

    /**
     * A worker whose memory (see {@link #maxWorkerMemoryKind}) exceeds this many bytes is asked to stop after
     * its current request and replaced; exit cause {@link ExitCause#MEMORY} (default: no limit). Throws
     * InvalidOptionException below 1 MiB.
     */
    public ServerBuilder maxWorkerMemory(long bytes) { return set(Options.MAX_WORKER_MEMORY, bytes); }

    /** What {@link #maxWorkerMemory} measures: "pss" (default) or "rss"; throws InvalidOptionException for another. */
    public ServerBuilder maxWorkerMemoryKind(String kind) { return set(Options.MAX_WORKER_MEMORY_KIND, kind); }

    /** The time between two memory samples of one worker, randomized by ±50% (default 5 s; at least 0.1 s). */
    public ServerBuilder memoryCheckInterval(Duration value) { return set(Options.MEMORY_CHECK_INTERVAL.kebab(), value); }

    /** The java binary for workers (default: this JVM's own). */
    public ServerBuilder javaCommand(String value) { return set(Options.JAVA_COMMAND, value); }

    /**
     * The workers' classpath (default: this JVM's java.class.path, plus the jars and directories of the context
     * class loader when a runner such as exec:java loads the application; made absolute).
     */
    public ServerBuilder classpath(String value) { return set(Options.CLASSPATH, value); }

    /**
     * JVM flags for workers, placed after {@link #DEFAULT_WORKER_JVM_OPTIONS}, so a later flag of the same kind
     * ({@code -Xmx512m}) wins (default none).
     */
    public ServerBuilder workerJvmOptions(List<String> value) { return set(Options.WORKER_JVM_OPTS.kebab(), value); }

    /**
     * With true, {@link #workerJvmOptions} replace {@link #DEFAULT_WORKER_JVM_OPTIONS} instead of following them
     * (default false).
     */
    public ServerBuilder workerJvmOptionsReplace(boolean value) { return set(Options.WORKER_JVM_OPTS_REPLACE, value); }

    /** A name=value pair every worker's child reads with {@link BaseChild#property(String)}. */
    public ServerBuilder childProperty(String name, String value) {
        return setText(Options.CHILD_PROPERTY.kebab(), name + "=" + value);
    }

    /**
     * Install handlers for HUP (reload), INT and TERM (graceful stop), TTIN and TTOU (one more or one fewer
     * server) and USR1 (reopen the log) in this JVM (default false: a library should not take over its host's
     * signals).
     */
    public ServerBuilder handleSignals(boolean value) { return set(Options.HANDLE_SIGNALS, value); }

    /**
     * A file that holds the manager's pid from bind until the server terminates (default none). start() fails
     * with an IOException naming the option and the file, before binding, when it names a running process.
     */
    public ServerBuilder pidFile(Path value) { return set(Options.PID_FILE, value); }

    /**
     * The user workers run as, a name or uid (default: the manager's own). The manager binds as it is (root, for
     * ports below 1024) and spawns workers through setpriv with this user's ids and groups; start() throws
     * InvalidOptionException for an unknown user, root, or a manager that is not root.
     */
    public ServerBuilder user(String value) { return set(Options.USER, value); }

    /**
     * The group workers run as, a name or gid (default: the user's primary group, with its supplementary groups);
     * given, workers get no supplementary groups. start() throws InvalidOptionException for an unknown group.
     */
    public ServerBuilder group(String value) { return set(Options.GROUP, value); }

    /** Appends the log to this file (reopened by {@link PreforkServer#reopenLog()}) instead of {@link #log} (default none). */
    public ServerBuilder logFile(Path value) { return set(Options.LOG_FILE, value); }

    /**
     * Whether workers share an AppCDS archive of their boot classes, made once in the background per JDK,
     * classpath and child, which makes later workers start faster and use less memory (default true; needs a
     * classpath of jars only, so it is skipped for development builds).
     */
    public ServerBuilder classDataSharing(boolean value) { return set(Options.CLASS_DATA_SHARING, value); }

    /** Where class data archives are kept (default $XDG_CACHE_HOME/prefork, or ~/.cache/prefork). */
    public ServerBuilder cacheDirectory(Path value) { return set(Options.CACHE_DIRECTORY, value); }

    /**
     * Writes one line per connection or datagram (time, worker pid, client, duration, outcome) to this file, or
     * to stdout for "-"; reopened with the log (default: no access log, and no cost per connection).
     */
    public ServerBuilder accessLog(String value) { return set(Options.ACCESS_LOG, value); }

    /**
     * Serves GET /metrics (Prometheus text format), /healthz and /readyz over HTTP on this port, 0 for any free
     * one ({@link PreforkServer#metricsPort()}) (default: off). start() fails naming the option if it cannot bind.
     */
    public ServerBuilder metricsPort(int value) { return set(Options.METRICS_PORT, value); }

    /** The metrics port's address (default 127.0.0.1). */
    public ServerBuilder metricsBind(String value) { return set(Options.METRICS_BIND, value); }

    /** Starts the nREPL control plane on this loopback port, 0 for any (default: no control plane). Needs nREPL. */
    public ServerBuilder nreplPort(int value) { return set(Options.NREPL_PORT, value); }

    /** The control plane's address (default 127.0.0.1); a non-loopback one needs {@link #nreplAllowRemote}. */
    public ServerBuilder nreplBind(String value) { return set(Options.NREPL_BIND, value); }

    /** Starts the control plane on a Unix socket at this path, mode 0600, instead of a port (default none). */
    public ServerBuilder nreplSocket(Path value) { return set(Options.NREPL_SOCKET, value); }

    /** Allows a non-loopback {@link #nreplBind}: remote code execution for the network (default false). */
    public ServerBuilder nreplAllowRemote(boolean value) { return set(Options.NREPL_ALLOW_REMOTE, value); }

    /** Adds a Clojure namespace whose nREPL evaluations are mirrored into the workers (default: the handler's). */
    public ServerBuilder watch(String namespace) { return setText(Options.WATCH.kebab(), namespace); }

    /** The manager hooks (default: none, and the default signal handlers). */
    public ServerBuilder hooks(ManagerHooks value) { hooks = Objects.requireNonNull(value, "hooks"); return this; }

    /** Where lifecycle events and worker output go (default {@link Log#stderr()}, or the logFile). */
    public ServerBuilder log(Log value) { log = Objects.requireNonNull(value, "log"); return this; }

    /** Validates every option, binds, spawns minServers workers and returns once they are ready. */
    public PreforkServer start() throws IOException {
        return ServerStartup.start(validate());
    }

    /**
     * Checks the options against each other and the child class's shape without binding or spawning anything;
     * returns the validated configuration. Throws InvalidOptionException naming the first bad option.
     */
    public ServerConfig validate() {
        return ServerConfig.of(childClass, values, hooks, log);
    }
}
