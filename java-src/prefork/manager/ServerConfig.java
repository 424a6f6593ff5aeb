package prefork.manager;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import prefork.BaseChild;
import prefork.InvalidOptionException;
import prefork.ListenerSpec;
import prefork.Log;
import prefork.ManagerHooks;
import prefork.Option;
import prefork.Options;
import prefork.PoolBounds;
import prefork.Protocol;
import prefork.ServerBuilder;
import prefork.internal.AddressPolicy;
import prefork.internal.TlsSettings;

/**
 * The validated options of one server: every catalogue option's value (given or default), and what is derived
 * from them once: the pool bounds, the listeners, the absolute class path, the log. Made only by {@link #of},
 * which checks the options against each other.
 */
public final class ServerConfig {
    private final String childClass;
    private final Map<Option<?>, Object> values;
    private final PoolBounds bounds;
    private final List<ListenerSpec> listeners;
    private final String classpath;
    private final ManagerHooks hooks;
    private final Log log;
    private AddressPolicy addressPolicy = AddressPolicy.OPEN;
    private TlsSettings tls;

    private ServerConfig(String childClass, Map<Option<?>, Object> values, PoolBounds bounds,
            List<ListenerSpec> listeners, String classpath, ManagerHooks hooks, Log log) {
        this.childClass = childClass;
        this.values = values;
        this.bounds = bounds;
        this.listeners = listeners;
        this.classpath = classpath;
        this.hooks = hooks;
        this.log = log;
    }

    /**
     * Checks {@code given} (option to value; absent options take their defaults) against each other and the
     * child class; throws InvalidOptionException naming the first bad option and its value.
     */
    public static ServerConfig of(String childClass, Map<Option<?>, Object> given, ManagerHooks hooks, Log log) {
        Map<Option<?>, Object> values = Map.copyOf(given);
        ServerConfig partial = new ServerConfig(childClass, values, null, null, null, hooks, null);
        PoolBounds bounds = new PoolBounds(partial.get(Options.MIN_SERVERS), partial.get(Options.MAX_SERVERS),
                partial.get(Options.MIN_SPARE_SERVERS), partial.get(Options.MAX_SPARE_SERVERS));
        List<ListenerSpec> listeners = partial.requestedListeners();
        checkAcceptMode(partial, values.containsKey(Options.ACCEPT_MODE), listeners);
        String java = partial.get(Options.JAVA_COMMAND);
        if (!Files.isRegularFile(Path.of(java)) || !Files.isExecutable(Path.of(java))) {
            throw new InvalidOptionException(Options.JAVA_COMMAND, java, "is not an executable file");
        }
        checkNrepl(partial);
        checkOperations(partial);
        WorkerUser.of(partial);
        checkChildClass(childClass);
        String classpath = values.containsKey(Options.CLASSPATH) ? partial.get(Options.CLASSPATH)
                : WorkerClasspath.infer(childClass);
        TlsSettings tls = TlsCheck.of(partial, listeners);
        ServerConfig config = new ServerConfig(childClass, values, bounds, List.copyOf(listeners), absolute(classpath),
                hooks, GuardedLog.of(partial.openLog(log)));
        config.addressPolicy = AddressPolicy.of(partial.listOf(Options.ALLOW), partial.listOf(Options.DENY),
                partial.get(Options.MAX_CONNECTIONS_PER_ADDRESS));
        config.tls = tls;
        return config;
    }

    /** Who may connect (allow, deny, the per-address limit); {@link AddressPolicy#OPEN} when none is set. */
    public AddressPolicy addressPolicy() {
        return addressPolicy;
    }

    /** The key material and handshake settings of the tls listeners, or null when there is none. */
    public TlsSettings tls() {
        return tls;
    }

    private List<String> listOf(Option<List<String>> option) {
        List<String> given = get(option);
        return given == null ? List.of() : given;
    }

    /** This configuration with {@code option} set to {@code value} (not null), checked no further. */
    public <T> ServerConfig with(Option<T> option, T value) {
        Map<Option<?>, Object> changed = new java.util.HashMap<>(values);
        changed.put(option, value);
        return new ServerConfig(childClass, Map.copyOf(changed), bounds, listeners, classpath, hooks, log);
    }

    /** The value of {@code option}: the one given, else its default (null for an option that is off). */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        return values.containsKey(option) ? (T) values.get(option) : option.defaultValue();
    }

    /** The child class's name. */
    public String childClass() {
        return childClass;
    }

    /** The child properties (name to value), in the order given. */
    public Map<String, String> childProperties() {
        Map<String, String> properties = get(Options.CHILD_PROPERTY);
        return properties == null ? Map.of() : properties;
    }

    public PoolBounds bounds() {
        return bounds;
    }

    /** The primary listener first, then the added ones, as requested (port 0 not yet bound). */
    public List<ListenerSpec> listeners() {
        return listeners;
    }

    /**
     * The workers' JVM flags: {@link ServerBuilder#DEFAULT_WORKER_JVM_OPTIONS}, the C heap trimming of
     * {@link NativeHeapTrim} where the workers' JDK has it, {@link ServerBuilder#CLOJURE_WORKER_JVM_OPTIONS} for a
     * Clojure handler, then the worker-jvm-opts; or only the latter with worker-jvm-opts-replace.
     */
    public List<String> workerJvmOptions() {
        List<String> flags = new ArrayList<>();
        if (!get(Options.WORKER_JVM_OPTS_REPLACE)) {
            flags.addAll(ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS);
            flags.addAll(NativeHeapTrim.flags(get(Options.JAVA_COMMAND)));
            if (childClass().equals(prefork.clojure.ClojureChild.class.getName())) {
                flags.addAll(ServerBuilder.CLOJURE_WORKER_JVM_OPTIONS);
            }
        }
        flags.addAll(get(Options.WORKER_JVM_OPTS));
        return flags;
    }

    /** The workers' class path, every entry absolute. */
    public String classpath() {
        return classpath;
    }

    public ManagerHooks hooks() {
        return hooks;
    }

    /** The log, guarded: a sink that throws never reaches the supervisor. */
    public Log log() {
        return log;
    }

    /** Where class data archives go, or null when class data sharing is off. */
    public Path cacheDirectory() {
        return get(Options.CLASS_DATA_SHARING) ? get(Options.CACHE_DIRECTORY) : null;
    }

    /**
     * The Clojure namespaces whose control-plane evaluations are mirrored into the workers: the handler's (the
     * "handler" child property that Clojure handlers set, "my.ns/handle") and those of the watch option.
     */
    public List<String> watchedNamespaces() {
        List<String> namespaces = new ArrayList<>();
        String handler = childProperties().get("handler");
        if (handler != null && handler.indexOf('/') > 0) {
            namespaces.add(handler.substring(0, handler.indexOf('/')));
        }
        List<String> watch = get(Options.WATCH);
        if (watch != null) {
            namespaces.addAll(watch);
        }
        return namespaces;
    }

    /** Whether a control plane (nREPL) is asked for. */
    public boolean controlPlane() {
        return get(Options.NREPL_PORT) != null || get(Options.NREPL_SOCKET) != null;
    }

    private List<ListenerSpec> requestedListeners() {
        List<ListenerSpec> listeners = new ArrayList<>();
        Protocol protocol = get(Options.PROTOCOL);
        if (protocol == Protocol.UNIX) {
            String path = get(Options.UNIX_PATH);
            if (path == null) {
                throw new InvalidOptionException(Options.UNIX_PATH, null, "is needed for protocol unix");
            }
            listeners.add(ListenerSpec.unix(path));
        } else {
            listeners.add(new ListenerSpec(protocol, resolve(get(Options.BIND_IP)), get(Options.PORT), null));
        }
        List<ListenerSpec> added = get(Options.ADD_LISTENER);
        if (added != null) {
            listeners.addAll(added);
        }
        return listeners;
    }

    /** The deprecated reusePort=true must agree with an acceptMode given too; reuse-port takes TCP only. */
    private static void checkAcceptMode(ServerConfig config, boolean modeGiven, List<ListenerSpec> listeners) {
        boolean alias = config.get(Options.REUSE_PORT);
        String mode = config.get(Options.ACCEPT_MODE);
        if (alias && modeGiven && !mode.equals("reuse-port")) {
            throw new InvalidOptionException(Options.REUSE_PORT, true, "cannot be used with %s",
                    Options.ACCEPT_MODE, mode);
        }
        if (config.get(Options.DISPATCH_TIMEOUT).isZero()) {
            throw new InvalidOptionException(Options.DISPATCH_TIMEOUT, config.get(Options.DISPATCH_TIMEOUT),
                    "must be above zero");
        }
        for (ListenerSpec listener : listeners) {
            if (config.reusePort() && !listener.protocol().tcpSocket()) {
                throw alias ? new InvalidOptionException(Options.REUSE_PORT, true,
                        "is supported for tcp and tls listeners only, not " + listener)
                        : new InvalidOptionException(Options.ACCEPT_MODE, mode,
                                "is supported for tcp and tls listeners only, not " + listener);
            }
            if (config.dispatch() && listener.protocol() == Protocol.TLS) {
                throw new InvalidOptionException(Options.ACCEPT_MODE, mode,
                        "cannot serve tls listeners yet (use shared or reuse-port): " + listener);
            }
        }
    }

    /** Whether each worker binds a SO_REUSEPORT socket of its own (acceptMode reuse-port, or reusePort=true). */
    public boolean reusePort() {
        return get(Options.REUSE_PORT) || get(Options.ACCEPT_MODE).equals("reuse-port");
    }

    /** Whether the manager accepts on every stream listener and passes connections to workers (acceptMode dispatch). */
    public boolean dispatch() {
        return !get(Options.REUSE_PORT) && get(Options.ACCEPT_MODE).equals("dispatch");
    }

    private static void checkNrepl(ServerConfig config) {
        Integer port = config.get(Options.NREPL_PORT);
        Path socket = config.get(Options.NREPL_SOCKET);
        if (port != null && socket != null) {
            throw new InvalidOptionException(Options.NREPL_SOCKET, socket.toString(), "cannot be used with %s",
                    Options.NREPL_PORT, port);
        }
        String bind = config.get(Options.NREPL_BIND);
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new InvalidOptionException(Options.NREPL_BIND, bind, "is not a known address or host");
        }
        if (port != null && !address.isLoopbackAddress() && !config.get(Options.NREPL_ALLOW_REMOTE)) {
            throw new InvalidOptionException(Options.NREPL_BIND, bind,
                    "is not loopback: the control plane runs any code sent to it; add %s to allow it",
                    Options.NREPL_ALLOW_REMOTE, true);
        }
    }

    /** The metrics address must resolve; memory samples at most ten a second; the access log must open. */
    private static void checkOperations(ServerConfig config) {
        String bind = config.get(Options.METRICS_BIND);
        try {
            InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new InvalidOptionException(Options.METRICS_BIND, bind, "is not a known address or host");
        }
        java.time.Duration interval = config.get(Options.MEMORY_CHECK_INTERVAL);
        if (interval.toMillis() < 100) {
            throw new InvalidOptionException(Options.MEMORY_CHECK_INTERVAL, interval.toMillis() / 1000.0,
                    "is too short: it must be at least 0.1 seconds");
        }
        String access = config.get(Options.ACCESS_LOG);
        if (access != null && !access.equals("-")) {
            Path file = Path.of(access);
            Path parent = file.toAbsolutePath().getParent();
            if (access.isBlank() || (Files.exists(file) ? !Files.isWritable(file) || Files.isDirectory(file)
                    : parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent))) {
                throw new InvalidOptionException(Options.ACCESS_LOG, access, "cannot be written");
            }
        }
    }

    /** Refuses a child class that a worker could not instantiate, naming the class and what is wrong. */
    static void checkChildClass(String name) {
        Class<?> type;
        try {
            type = Class.forName(name, false, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new IllegalArgumentException("child class \"" + name + "\" was not found on the classpath");
        }
        String problem = null;
        if (!BaseChild.class.isAssignableFrom(type)) {
            problem = "does not extend " + BaseChild.class.getName();
        } else if (!Modifier.isPublic(type.getModifiers())) {
            problem = "is not public";
        } else if (Modifier.isAbstract(type.getModifiers())) {
            problem = "is abstract";
        } else if (type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())) {
            problem = "is an inner class: make it static (a worker has no enclosing instance)";
        } else {
            try {
                Constructor<?> constructor = type.getConstructor();
                if (!Modifier.isPublic(constructor.getModifiers())) {
                    problem = "has no public no-argument constructor";
                }
            } catch (NoSuchMethodException e) {
                problem = "has no public no-argument constructor";
            }
        }
        if (problem != null) {
            throw new IllegalArgumentException("child class \"" + name + "\" " + problem);
        }
    }

    private Log openLog(Log given) {
        Path file = get(Options.LOG_FILE);
        if (file == null) {
            return given != null ? given : Log.stderr();
        }
        try {
            return Log.file(file);
        } catch (IOException e) {
            throw new InvalidOptionException(Options.LOG_FILE, file.toString(), "cannot be opened: " + e.getMessage());
        }
    }

    private static InetAddress resolve(String bindIp) {
        try {
            return InetAddress.getByName(bindIp);
        } catch (UnknownHostException e) {
            throw new InvalidOptionException(Options.BIND_IP, bindIp, "is not a known address or host");
        }
    }

    private static String absolute(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
