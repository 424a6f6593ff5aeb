package prefork.manager;

import java.util.ArrayList;
import java.util.List;
import prefork.ListenerSpec;
import prefork.Options;
import prefork.worker.Training;
import prefork.worker.Worker;
import prefork.worker.WorkerLaunch;

/**
 * Worker JVM command lines: java, the worker flags (and the class data archive's, once it exists), the class
 * path, the entry class, then the arguments {@link WorkerLaunch} owns.
 */
final class WorkerCommand {
    private final ServerConfig config;
    private final ClassDataArchive archive;
    private final WorkerUser user;
    private final List<String> poolJvmOptions;

    /** Commands for the training and check JVMs, and for workers that need no flags of their own pool. */
    WorkerCommand(ServerConfig config, ClassDataArchive archive) {
        this(config, archive, List.of());
    }

    /** The same, with {@code poolJvmOptions} added to every worker's flags (after the configured ones). */
    WorkerCommand(ServerConfig config, ClassDataArchive archive, List<String> poolJvmOptions) {
        this.config = config;
        this.archive = archive;
        this.user = WorkerUser.of(config);
        this.poolJvmOptions = List.copyOf(poolJvmOptions);
    }

    /**
     * The flags the workers of {@code listener} need whatever the configuration: an AF_INET udp socket (one
     * inherited through socket activation; prefork binds its own as AF_INET6, see {@link NativeListener#socketFor})
     * needs {@code -Djava.net.preferIPv4Stack=true}, since from JDK 18 on the inherited DatagramChannel otherwise
     * assumes INET6 and every reply fails with EAFNOSUPPORT. Empty for every other socket.
     */
    static List<String> poolJvmOptions(NativeListener listener, ListenerSpec spec) throws java.io.IOException {
        return spec.protocol() == prefork.Protocol.UDP && listener.family() == prefork.internal.Native.AF_INET
                ? List.of("-Djava.net.preferIPv4Stack=true") : List.of();
    }

    /**
     * What dispatch-mode workers need: the JDK's channel class for a received descriptor is opened to
     * prefork (see {@code prefork.worker.DispatchedConnections}), and jnr (recvmsg) may call native code. jnr
     * binds reflectively there as in the manager ({@code prefork.internal.Native#configureJnr}): measured, that
     * saves a worker about 0.13 s of CPU and 8 MB at start-up, for two calls per connection.
     */
    static final List<String> DISPATCH_JVM_OPTIONS = List.of("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED");

    /** Who workers run as, or null for the manager's own user. */
    WorkerUser user() {
        return user;
    }

    /**
     * The launch shared by every worker of the pool serving {@code listener}, outside dispatch mode; null: the
     * class data training run's, which has the TLS settings when a listener is tls, so that the archive holds
     * the TLS classes.
     */
    WorkerLaunch launch(ListenerSpec listener) {
        return launch(listener, false);
    }

    /**
     * The launch shared by every worker of the pool serving {@code listener} (its first listener when
     * {@code dispatch}: the workers then take connections from the manager).
     */
    WorkerLaunch launch(ListenerSpec listener, boolean dispatch) {
        return new WorkerLaunch(config.childClass(), listener, dispatch,
                config.reusePort() ? config.get(Options.LISTEN) : 0,
                listener != null && config.get(Options.ACCESS_LOG) != null, config.childProperties(),
                config.get(Options.IDLE_TIMEOUT).toMillis(), config.addressPolicy(),
                listener == null || listener.protocol() == prefork.Protocol.TLS ? config.tls() : null);
    }

    /** The command of the worker that will own {@code slot} in the pool of {@code launch}. */
    List<String> worker(WorkerLaunch launch, int slot, long maxRequests) {
        List<String> flags = new ArrayList<>(poolJvmOptions);
        List<String> archiveFlags = archive.jvmOptions();
        flags.addAll(archiveFlags);
        List<String> command = java(flags, Worker.class.getName(), !archiveFlags.isEmpty());
        command.addAll(launch.argv(slot, maxRequests));
        return command;
    }

    /**
     * The command of the JVM that makes the class data archive, with {@code archiveFlags} (the one that names
     * its output) among its JVM flags, before the class path: after setpriv's arguments when a user is set.
     */
    List<String> training(List<String> archiveFlags) {
        List<String> command = java(archiveFlags, Training.class.getName(), true);
        command.addAll(launch(null).argv(0, 0));
        return command;
    }

    /** The command of a JVM that exits 0 only if it can map {@code archive} with the workers' flags and class path. */
    List<String> archiveCheck(java.nio.file.Path archive) {
        return java(this.archive.format().checkFlags(archive), "-version", true);
    }

    /** java, the worker flags (as a JVM that makes or maps the class data archive takes them, when {@code archived}), then {@code extraJvmOptions}, the class path and {@code mainClass}. */
    private List<String> java(List<String> extraJvmOptions, String mainClass, boolean archived) {
        List<String> command = new ArrayList<>();
        command.add(config.get(Options.JAVA_COMMAND));
        command.addAll(archived ? archive.format().compatible(config.workerJvmOptions()) : config.workerJvmOptions());
        command.addAll(extraJvmOptions);
        command.add("-cp");
        command.add(config.classpath());
        command.add(mainClass);
        return user == null ? command : user.wrap(command);
    }
}
