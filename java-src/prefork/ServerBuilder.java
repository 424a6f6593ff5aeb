package prefork;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import prefork.internal.WorkerContract;

/**
 * Options of a prefork server (the model's Manager arguments, plus what operators of gunicorn and
 * Net::Server expect). Every setter returns this builder; nothing is checked until {@link #start()}, which
 * validates everything before binding or spawning anything and throws IllegalArgumentException naming the
 * option and the value.
 */
public final class ServerBuilder {
    /**
     * Worker JVM flags chosen for quick start-up and a small footprint, on measured figures (BENCHMARKS.md):
     * C1 only (a Clojure worker boots in about 215 ms instead of 290, short connections cost less CPU, and
     * persistent throughput stayed within noise of C2's), the serial collector, a small initial heap, no
     * perf data file, and no macro spec checks in Clojure workers (the manager already loaded the handler's
     * namespace with them).
     */
    public static final List<String> DEFAULT_WORKER_JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xms8m", "-Xmx256m",
            "-XX:-UsePerfData", "-Xshare:auto", "-Dclojure.spec.skip-macros=true");

    private final String childClass;
    private final Map<String, String> childProperties = new LinkedHashMap<>();
    private int maxServers = 20, minServers = 5, minSpareServers = 2, maxSpareServers = 10;
    private long maxRequests = 0, maxRequestsJitter = 0;
    private String bindIp = "127.0.0.1";
    private int port = 10000;
    private String protocol = "tcp";
    private int listen = 1024;
    private boolean reusePort = false;
    private String unixPath = null;
    private String unixMode = null;
    private final List<String> extraListeners = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(30);
    private Duration gracefulTimeout = Duration.ofSeconds(30);
    private Duration startTimeout = Duration.ofSeconds(60);
    private String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private String classpath = System.getProperty("java.class.path");
    private List<String> workerJvmOptions = DEFAULT_WORKER_JVM_OPTIONS;
    private ManagerHooks hooks = new ManagerHooks() {};
    private Log log = Log.stderr();
    private boolean handleSignals = false;
    private Path pidFile = null;
    private boolean classDataSharing = true;
    private Path cacheDirectory = defaultCacheDirectory();

    ServerBuilder(String childClass) {
        this.childClass = childClass;
    }

    /** Maximum number of workers at any time (default 20). */
    public ServerBuilder maxServers(int value) { maxServers = value; return this; }

    /** Minimum number of workers (default 5); start() returns once this many are ready. */
    public ServerBuilder minServers(int value) { minServers = value; return this; }

    /** Minimum number of idle workers; more are spawned, up to maxServers, when fewer are idle (default 2). */
    public ServerBuilder minSpareServers(int value) { minSpareServers = value; return this; }

    /** Maximum number of idle workers; the surplus is retired, one per second (default 10). */
    public ServerBuilder maxSpareServers(int value) { maxSpareServers = value; return this; }

    /** Requests a worker handles before it is replaced; 0 = unlimited (default 0). */
    public ServerBuilder maxRequests(long value) { maxRequests = value; return this; }

    /** Adds a random 0..value to each worker's maxRequests so workers do not all restart together (default 0). */
    public ServerBuilder maxRequestsJitter(long value) { maxRequestsJitter = value; return this; }

    /** The address to bind: an IPv4 or IPv6 literal or a host name; "0.0.0.0" or "::" for all (default 127.0.0.1). */
    public ServerBuilder bindIp(String value) { bindIp = value; return this; }

    /** The port to bind, 0 for any free one; read the bound port from {@link PreforkServer#port()} (default 10000). */
    public ServerBuilder port(int value) { port = value; return this; }

    /** "tcp", "udp" or "unix" (a Unix domain stream socket at {@link #unixPath}) (default "tcp"). */
    public ServerBuilder protocol(String value) { protocol = value; return this; }

    /** The socket file for protocol "unix"; a stale file is replaced, a live server's is refused (default none). */
    public ServerBuilder unixPath(String value) { unixPath = value; return this; }

    /** The octal file mode of Unix socket files, e.g. "660" (default: as the umask gives). */
    public ServerBuilder unixMode(String value) { unixMode = value; return this; }

    /**
     * Also listens on {@code spec} ("tcp://host:port", "udp://host:port" or "unix:/path"), with a worker pool
     * of its own under the same options and child class (default: only the bindIp/port/protocol listener).
     */
    public ServerBuilder addListener(String spec) { extraListeners.add(spec); return this; }

    /** TCP listen backlog (default 1024; the model's 5 makes clients wait on SYN retries under load). */
    public ServerBuilder listen(int value) { listen = value; return this; }

    /**
     * Each worker binds and listens on a SO_REUSEPORT socket of its own, and the child's preBind/postBind hooks
     * run in the worker, as in the model (default false: every worker accepts on the one shared socket, which
     * balances better and loses nothing when a worker dies). TCP only.
     */
    public ServerBuilder reusePort(boolean value) { reusePort = value; return this; }

    /** A worker busy on one request longer than this is killed and replaced; zero = never (default 30 s). */
    public ServerBuilder timeout(Duration value) { timeout = value; return this; }

    /** How long shutdown waits for in-flight requests before killing workers (default 30 s). */
    public ServerBuilder gracefulTimeout(Duration value) { gracefulTimeout = value; return this; }

    /** How long start() waits for minServers workers to be ready (default 60 s). */
    public ServerBuilder startTimeout(Duration value) { startTimeout = value; return this; }

    /** The java binary for workers (default: this JVM's own). */
    public ServerBuilder javaCommand(String value) { javaCommand = value; return this; }

    /** The workers' classpath (default: this JVM's java.class.path, made absolute). */
    public ServerBuilder classpath(String value) { classpath = value; return this; }

    /** JVM flags for workers (default {@link #DEFAULT_WORKER_JVM_OPTIONS}). */
    public ServerBuilder workerJvmOptions(List<String> value) { workerJvmOptions = List.copyOf(value); return this; }

    /** A name=value pair every worker's child reads with {@link BaseChild#property(String)}. */
    public ServerBuilder childProperty(String name, String value) { childProperties.put(name, value); return this; }

    /** The manager hooks (default: none, and the default HUP/INT/TERM handlers). */
    public ServerBuilder hooks(ManagerHooks value) { hooks = Objects.requireNonNull(value, "hooks"); return this; }

    /** Where lifecycle events and worker output go (default {@link Log#stderr()}). */
    public ServerBuilder log(Log value) { log = Objects.requireNonNull(value, "log"); return this; }

    /**
     * Install handlers for HUP (reload), INT and TERM (graceful stop), TTIN and TTOU (one more or one fewer
     * server) in this JVM (default false: a library should not take over its host's signals).
     */
    public ServerBuilder handleSignals(boolean value) { handleSignals = value; return this; }

    /**
     * A file that holds the manager's pid from bind until the server terminates (default none). start() fails
     * with an IOException naming the option and the file, before binding, when it names a running process.
     */
    public ServerBuilder pidFile(Path value) { pidFile = value; return this; }

    /**
     * Whether workers share an AppCDS archive of their boot classes, made once in the background per JDK,
     * classpath and child, which makes later workers start faster and use less memory (default true; needs a
     * classpath of jars only, so it is skipped for development builds).
     */
    public ServerBuilder classDataSharing(boolean value) { classDataSharing = value; return this; }

    /** Where class data archives are kept (default $XDG_CACHE_HOME/prefork, or ~/.cache/prefork). */
    public ServerBuilder cacheDirectory(Path value) { cacheDirectory = Objects.requireNonNull(value, "cacheDirectory"); return this; }

    private static Path defaultCacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isEmpty() ? Path.of(xdg, "prefork")
                : Path.of(System.getProperty("user.home"), ".cache", "prefork");
    }

    /** Validates every option, binds, spawns minServers workers and returns once they are ready. */
    public PreforkServer start() throws IOException {
        return PreforkServer.start(validate());
    }

    /** Checks every option; throws IllegalArgumentException naming the first bad option and its value. */
    ServerConfig validate() {
        PoolBounds bounds = new PoolBounds(minServers, maxServers, minSpareServers, maxSpareServers);
        PoolBounds.requireRange("maxRequests", maxRequests, 0, Long.MAX_VALUE / 2);
        PoolBounds.requireRange("maxRequestsJitter", maxRequestsJitter, 0, Long.MAX_VALUE / 2);
        PoolBounds.requireRange("port", port, 0, 65535);
        PoolBounds.requireRange("listen", listen, 1, 65535);
        List<ListenerSpec> listeners = new ArrayList<>();
        listeners.add(protocol.equals("unix") ? new ListenerSpec("unix", null, 0, unixPath)
                : new ListenerSpec(protocol, resolve(bindIp), port, null));
        extraListeners.forEach(spec -> listeners.add(ListenerSpec.parse(spec)));
        if (reusePort && listeners.stream().anyMatch(l -> !l.protocol().equals("tcp"))) {
            throw new IllegalArgumentException("reusePort=true is supported for tcp listeners only, not "
                    + listeners.stream().filter(l -> !l.protocol().equals("tcp")).findFirst().orElseThrow());
        }
        if (unixMode != null) {
            prefork.internal.NativeListener.permissions(unixMode);
        }
        requireNonNegative("timeout", timeout);
        requireNonNegative("gracefulTimeout", gracefulTimeout);
        requireNonNegative("startTimeout", startTimeout);
        if (!Files.isRegularFile(Path.of(javaCommand)) || !Files.isExecutable(Path.of(javaCommand))) {
            throw new IllegalArgumentException("javaCommand=\"" + javaCommand + "\" is not an executable file");
        }
        checkChildClass();
        return new ServerConfig(childClass, Map.copyOf(childProperties), bounds, maxRequests, maxRequestsJitter,
                List.copyOf(listeners), listen, reusePort, unixMode, timeout, gracefulTimeout, startTimeout,
                javaCommand, absolute(classpath), workerJvmOptions, hooks, guarded(log), handleSignals, pidFile,
                classDataSharing ? cacheDirectory : null);
    }

    private void checkChildClass() {
        Class<?> type;
        try {
            type = Class.forName(childClass, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new IllegalArgumentException("child class \"" + childClass + "\" was not found on the classpath");
        }
        if (!BaseChild.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException("child class \"" + childClass + "\" does not extend " + BaseChild.class.getName());
        }
    }

    private static final Duration LONGEST = Duration.ofDays(3650);

    private static void requireNonNegative(String option, Duration value) {
        if (value == null || value.isNegative() || value.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException(option + "=" + value + " must be between zero and 3650 days");
        }
    }

    /** The user's log, made safe: a sink that throws must not take the supervisor down. */
    private static Log guarded(Log log) {
        return new Log() {
            @Override
            public void log(String line) {
                try {
                    log.log(line);
                } catch (RuntimeException e) {
                    System.err.println("prefork: the log failed (" + e + ") on: " + line);
                }
            }

            @Override
            public void reopen() {
                try {
                    log.reopen();
                } catch (RuntimeException e) {
                    System.err.println("prefork: reopening the log failed: " + e);
                }
            }
        };
    }

    private static InetAddress resolve(String bindIp) {
        try {
            return InetAddress.getByName(Objects.requireNonNull(bindIp, "bindIp"));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bindIp=\"" + bindIp + "\" is not a known address or host");
        }
    }

    private static String absolute(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /**
     * The worker command line for one listener: java, JVM flags (then {@code extraJvmOptions}), classpath,
     * worker main, its arguments.
     */
    static List<String> workerCommand(ServerConfig config, ListenerSpec listener, Path replayFile,
            List<String> extraJvmOptions) {
        List<String> command = javaCommand(config, extraJvmOptions);
        command.add(config.childClass());
        command.add(WorkerContract.SLOT_PLACEHOLDER);
        command.add(WorkerContract.MAX_REQUESTS_PLACEHOLDER);
        command.add(listener.toString());
        command.add(config.reusePort() ? "reuseport:" + config.listen() : "inherited");
        command.add(replayFile.toString());
        config.childProperties().forEach((name, value) -> command.add(name + "=" + value));
        return command;
    }

    /** The command of the JVM that makes the class data archive: the worker in training mode. */
    static List<String> trainingCommand(ServerConfig config) {
        List<String> command = javaCommand(config, List.of());
        command.add(Worker.TRAIN);
        command.add(config.childClass());
        config.childProperties().forEach((name, value) -> command.add(name + "=" + value));
        return command;
    }

    private static List<String> javaCommand(ServerConfig config, List<String> extraJvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(config.javaCommand());
        command.addAll(config.workerJvmOptions());
        command.addAll(extraJvmOptions);
        command.add("-cp");
        command.add(config.classpath());
        command.add(Worker.class.getName());
        return command;
    }
}
