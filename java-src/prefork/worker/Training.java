package prefork.worker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import prefork.BaseChild;
import prefork.ListenerSpec;
import prefork.Protocol;
import prefork.internal.ChildAccess;
import prefork.internal.ControlProtocol;
import prefork.internal.Scoreboard;
import prefork.internal.WorkerFds;

/**
 * The entry point of the JVM that makes the class data archive (run by the manager's ClassDataArchive with
 * {@code -XX:ArchiveClassesAtExit}, or on JDK 25 {@code -XX:AOTCacheOutput}). It loads the child and what it needs at boot, without initialize, and
 * runs the scoreboard, a control thread and a loopback connection through the classes a worker uses; then it
 * exits normally, and the JVM writes the archive. Arguments as {@link WorkerLaunch#argv}, without a listener.
 * Its stdin is a pipe from the manager: at EOF (the manager died) it kills itself at once, writing nothing,
 * and it leaves no file behind in the temporary directory.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) throws Exception {
        watchManager();
        WorkerLaunch launch = WorkerLaunch.parse(args).launch();
        BaseChild child = (BaseChild) Class.forName(launch.childClass()).getConstructor().newInstance();
        ChildAccess access = ChildAccess.get();
        access.bootstrap(child, Protocol.TCP, launch.childProperties());
        access.prepareForArchive(child);
        loadWorkerBoot();
        if (launch.tls() != null) {
            loadTls(launch);
        }
        Path file = Files.createTempFile("prefork-training", ".scoreboard");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            Files.write(file, new byte[Scoreboard.SLOT_BYTES]);
            Scoreboard scoreboard = Scoreboard.map(file, Scoreboard.SLOT_BYTES);
            Files.delete(file); // mapped: a kill from now on leaves nothing in the temporary directory
            scoreboard.claim(0, ProcessHandle.current().pid());
            scoreboard.setState(0, Scoreboard.IDLE);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread thread = new Thread(new WorkerControl()::requestLock, "prefork-training");
            thread.start();
            thread.join();
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel connection = server.accept()) {
                scoreboard.markBusy(0, (InetSocketAddress) connection.getRemoteAddress());
                Channels.newOutputStream(client).write('\n');
                new BufferedReader(new InputStreamReader(Channels.newInputStream(connection), StandardCharsets.UTF_8)).readLine();
                scoreboard.markIdle(0, 1);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.exit(0);
    }

    /**
     * Loads the classes of a worker's own boot that the rest of this run does not reach (the worker's main class,
     * its listener, control messages and signal classes, the admission, access log and idle watch), and the JDK's
     * inherited-channel classes: an archived class is mapped ready-verified, one loaded from the jar is read and
     * verified in every worker (about 15 classes here). Nothing is initialized, no handler is installed; stdin is
     * a pipe, so {@code inheritedChannel()} finds no socket and returns null.
     */
    private static void loadWorkerBoot() throws IOException {
        for (Class<?> bootClass : new Class<?>[] {Worker.class, ListenerSpec.class, WorkerFds.class,
                ControlProtocol.class, WorkerControl.class, WorkerSignals.class, Admission.class, AccessLog.class,
                IdleWatch.class}) {
            bootClass.getDeclaredMethods(); // loads the classes of its signatures; the archive links them all
            for (Class<?> nested : bootClass.getDeclaredClasses()) {
                nested.getDeclaredMethods();
            }
        }
        System.inheritedChannel();
    }

    /**
     * Loads what a worker of a tls listener loads at boot (PEM or PKCS#12 parsing, the key check, the
     * SSLContext), so that the archive holds those classes too. A keystore needs its password, which the
     * training run does not get: then only part of it is loaded, which is all the archive loses.
     */
    private static void loadTls(WorkerLaunch launch) {
        try {
            TlsHandshakes.open(launch.tls());
        } catch (Exception | LinkageError e) {
            // an archive with fewer classes is still correct
        }
    }

    /**
     * Starts the daemon thread that ends this training JVM when the manager that started it is gone (EOF on
     * stdin, a pipe from the manager), without writing an archive. Also used by the manager's own training run
     * ({@code prefork.manager.ManagerArchive}).
     */
    public static void watchManager() {
        Thread orphaned = new Thread(Training::haltAtEndOfInput, "prefork-training-manager-watch");
        orphaned.setDaemon(true);
        orphaned.start();
    }

    /**
     * Reads stdin until EOF, then ends this JVM by SIGKILL: the manager that waits for this run is gone. Not
     * by exit or halt, which both write the archive (the manager's next start would prune it, but 11 MB of a
     * half-trained archive should not wait for that).
     */
    private static void haltAtEndOfInput() {
        try {
            while (System.in.read() >= 0) {
                // the manager writes nothing; EOF is the message
            }
        } catch (IOException e) {
            // the pipe broke: the manager is gone as well
        }
        try {
            new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).start()
                    .waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // no kill(1): halt below, and the next start prunes the partial archive
        }
        Runtime.getRuntime().halt(1);
    }
}
