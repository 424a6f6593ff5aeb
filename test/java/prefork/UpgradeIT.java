package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.SlowBootChild;

/**
 * Zero-downtime manager upgrade through {@code prefork ctl upgrade}, with a real ctl process, a launcher-started
 * manager and a client looping connections the whole time: the new manager takes the listener, the control
 * plane's port, the metrics port and the pid file, the old one and its workers go, nothing is refused; a
 * second upgrade meanwhile is refused; an upgrade to a jar that cannot boot leaves the old manager serving.
 */
@Timeout(120)
class UpgradeIT {
    private static final Pattern METRICS = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)");
    /** The load loop, the ctl upgrade and the sd_notify reader (the common pool may have one thread only). */
    private final ExecutorService threads = Executors.newFixedThreadPool(3);
    private LaunchedManager manager;
    private NotifySocket notify;
    private Path pidFile;
    private long newManager = -1;

    @AfterEach
    void noProcessLeft() throws IOException {
        threads.shutdownNow();
        if (newManager < 0 && manager != null && Files.exists(pidFile)) { // a failed test: whoever holds the pid file
            newManager = Long.parseLong(Files.readString(pidFile).trim());
            newManager = newManager == manager.pid() ? -1 : newManager;
        }
        if (newManager > 0) {
            ProcessHandle.of(newManager).ifPresent(ProcessHandle::destroy);
            Await.until(Duration.ofSeconds(30), "the new manager " + newManager + " exits",
                    () -> !Processes.alive(newManager));
        }
        if (manager != null) {
            manager.close();
        }
        Processes.assertNoChildren();
        if (notify != null) {
            notify.close();
        }
    }

    /** Starts the manager with a control plane and metrics on port 0 and a pid file; returns {nrepl, metrics}. */
    private int[] start(String name, String... flags) throws IOException {
        return startWith(name, List.of(), SlowBootChild.class.getName(), flags);
    }

    /** The same with {@code prefix} before the java command ("env", "NOTIFY_SOCKET=...") and another handler. */
    private int[] startWith(String name, List<String> prefix, String handler, String... flags) throws IOException {
        pidFile = Path.of("target", name + ".pid");
        Files.deleteIfExists(pidFile);
        List<String> all = new ArrayList<>(List.of("--min-servers", "2", "--max-servers", "4", "--graceful-timeout", "5",
                "--nrepl-port", "0", "--metrics-port", "0", "--pid-file", pidFile.toString()));
        all.addAll(List.of(flags));
        manager = new LaunchedManager(name, prefix, handler, all.toArray(String[]::new));
        int nrepl = Integer.parseInt(CtlIT.nreplPort(manager.nextLine()));
        Matcher metrics = METRICS.matcher(manager.nextLine());
        assertTrue(metrics.find(), "the metrics line");
        assertEquals(Long.toString(manager.pid()), Files.readString(pidFile).trim());
        return new int[] {nrepl, Integer.parseInt(metrics.group(1))};
    }

    @Test
    void upgradeUnderLoadLosesNothingAndMovesEverything() throws Exception {
        notify = NotifySocket.bind("@prefork-upgrade-it-" + ProcessHandle.current().pid());
        Path config = Path.of("target", "upgrade-it.properties");
        Files.writeString(config, "child-property.boot-ms = 0\n");
        int[] ports = startWith("upgrade-it", List.of("env", "NOTIFY_SOCKET=" + notify.name()),
                SlowBootChild.class.getName(), "--config", config.toString());
        // the new manager's workers take 4 s to boot: the second upgrade below surely comes while it waits
        Files.writeString(config, "child-property.boot-ms = 4000\n");
        notify.awaitLine(Duration.ofSeconds(10), "READY=1");
        AtomicBoolean listening = new AtomicBoolean(true);
        java.util.concurrent.Future<?> reader = threads.submit(() -> { // keeps the datagram queue (10) from filling up
            while (listening.get()) {
                try {
                    notify.await(Duration.ofMillis(300), "(kept)", message -> false);
                } catch (AssertionError timedOut) {
                    // every message read is kept in pending()
                }
            }
        });
        String nrepl = Integer.toString(ports[0]);
        long oldPid = manager.pid();
        Set<Long> oldWorkers = manager.workers();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger served = new AtomicInteger();
        Map<Long, Long> managerOfWorker = new ConcurrentHashMap<>();
        CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> {
            long deadline = System.nanoTime() + 100_000_000_000L;
            for (int i = 0; i < 100_000 && !stop.get() && System.nanoTime() - deadline < 0; i++) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // gentle: a connection a millisecond at most
                try {
                    long worker = Clients.pidFrom(manager.port);
                    served.incrementAndGet();
                    ProcessHandle.of(worker).flatMap(ProcessHandle::parent)
                            .ifPresent(parent -> managerOfWorker.put(worker, parent.pid()));
                } catch (IOException | RuntimeException e) {
                    return "connection " + i + " failed: " + e;
                }
            }
            return null;
        }, threads);
        CompletableFuture<CtlIT.Run> upgrade = CompletableFuture.supplyAsync(() -> ctl("--nrepl-port", nrepl, "upgrade"),
                threads);
        Await.until(Duration.ofSeconds(60), "the new manager JVM runs", () -> upgrade.isDone() || manager.process
                .toHandle().children().anyMatch(child -> runsLauncher(child.pid())));
        assertTrue(!upgrade.isDone(), "the upgrade is under way: " + (upgrade.isDone() ? upgrade.join() : ""));
        CtlIT.Run second = ctl("--nrepl-port", nrepl, "upgrade");
        assertEquals(1, second.status(), second.toString());
        assertTrue(second.err().contains("an upgrade is already in progress"), second.err());

        CtlIT.Run done = upgrade.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, done.status(), done + "\n" + manager.log());
        Matcher upgraded = Pattern.compile("upgraded: the new manager pid (\\d+) is ready").matcher(done.out());
        assertTrue(upgraded.find(), done.out());
        newManager = Long.parseLong(upgraded.group(1));
        assertNotEquals(oldPid, newManager);
        assertTrue(manager.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the old manager exits");
        assertEquals(0, manager.process.exitValue());
        listening.set(false); // the old manager has exited: all it sent is queued, and read by the next turn
        reader.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThrows(AssertionError.class, () -> notify.await(Duration.ofSeconds(1), "(none: drains)", message -> false));
        String mainPid = "MAINPID=" + newManager;
        List<String> sent = notify.pending();
        assertTrue(sent.stream().anyMatch(message -> message.startsWith(mainPid + "\nSTATUS=upgraded")),
                "the old manager hands over with " + mainPid + ": " + sent);
        assertTrue(sent.stream().noneMatch(message -> message.contains("STOPPING=1")),
                "the old manager's stop is not the service's: " + sent);
        Await.until(Duration.ofSeconds(10), "the old workers are gone", () -> oldWorkers.stream().noneMatch(Processes::alive));
        int before = served.get();
        Await.until(Duration.ofSeconds(20), "connections keep being served after the old manager left",
                () -> served.get() > before + 20 || load.isDone());
        stop.set(true);
        assertEquals(null, load.get(30, java.util.concurrent.TimeUnit.SECONDS), "no connection failed");
        assertTrue(managerOfWorker.containsValue(oldPid) && managerOfWorker.containsValue(newManager),
                "both managers' workers served: " + managerOfWorker);

        String expected = Long.toString(newManager);
        Await.until(Duration.ofSeconds(10), "the pid file names the new manager", () -> pidFileSays(expected));
        CtlIT.Run status = ctl("--nrepl-port", nrepl, "workers", "--json");
        assertEquals(0, status.status(), status.toString());
        long newWorker = Clients.pidFrom(manager.port);
        assertEquals(newManager, ProcessHandle.of(newWorker).flatMap(ProcessHandle::parent).orElseThrow().pid());
        assertTrue(status.out().contains("\"pid\":" + newWorker), status.out());
        Set<String> env = ActivatedManager.environmentNames(newWorker);
        assertTrue(env.stream().noneMatch(Set.of("PREFORK_UPGRADE", "LISTEN_PID", "LISTEN_FDS", "NOTIFY_SOCKET")::contains),
                "what only a manager may see is not in a worker's environment: " + env);
        assertEquals(200, Http.get(ports[1], "/readyz").status(), "the metrics port moved too");
    }

    @Test
    void upgradeToAnotherJarRunsItWithTheSameArguments() throws Exception {
        int[] ports = startWith("upgrade-it-jar", List.of(), "prefork.examples.PidChild");
        Path jar = Path.of("target", "prefork.jar").toAbsolutePath();
        CtlIT.Run run = ctl("--nrepl-port", Integer.toString(ports[0]), "upgrade", "--jar", jar.toString());
        assertEquals(0, run.status(), run + "\n" + manager.log());
        Matcher upgraded = Pattern.compile("upgraded: the new manager pid (\\d+) is ready").matcher(run.out());
        assertTrue(upgraded.find(), run.out());
        newManager = Long.parseLong(upgraded.group(1));
        List<String> argv = Arrays.asList(Files.readString(Path.of("/proc/" + newManager + "/cmdline")).split("\0"));
        int dashJar = argv.indexOf("-jar");
        assertTrue(dashJar > 0 && argv.get(dashJar + 1).equals(jar.toString()) && !argv.contains("prefork.Launcher")
                && argv.containsAll(List.of("--handler", "prefork.examples.PidChild", "--pid-file")), argv.toString());
        assertTrue(manager.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the old manager exits");
        long worker = Clients.pidFrom(manager.port);
        assertEquals(newManager, ProcessHandle.of(worker).flatMap(ProcessHandle::parent).orElseThrow().pid());
    }

    @Test
    void upgradeToAJarThatCannotBootLeavesTheOldManagerServing() throws Exception {
        int[] ports = start("upgrade-it-bad-jar");
        Path notAJar = Path.of("target", "upgrade-it-not-a.jar");
        Files.writeString(notAJar, "this is not a jar\n");
        CtlIT.Run run = ctl("--nrepl-port", Integer.toString(ports[0]), "upgrade", "--jar", notAJar.toString());
        assertEquals(1, run.status(), run.toString());
        assertTrue(run.err().contains("upgrade failed: the new manager (pid ") && run.err().contains("exited (exit status 1)"),
                run.err());
        assertOldManagerServes(ports, "upgrade-it-bad-jar");
    }

    @Test
    void aNewManagerNotReadyWithinStartTimeoutIsStoppedAndTheOldOneCarriesOn() throws Exception {
        Path config = Path.of("target", "upgrade-it-slow.properties");
        Files.writeString(config, "start-timeout = 8\nchild-property.boot-ms = 0\n");
        int[] ports = start("upgrade-it-slow", "--config", config.toString());
        Files.writeString(config, "start-timeout = 120\nchild-property.boot-ms = 60000\n"); // what the new one reads
        CtlIT.Run run = ctl("--nrepl-port", Integer.toString(ports[0]), "upgrade");
        assertEquals(1, run.status(), run.toString());
        Matcher failed = Pattern.compile("upgrade failed: the new manager \\(pid (\\d+)\\) was not ready within "
                + "startTimeout=PT8S").matcher(run.err());
        assertTrue(failed.find(), run.err());
        assertTrue(!Processes.alive(Long.parseLong(failed.group(1))), "the new manager was stopped");
        assertOldManagerServes(ports, "upgrade-it-slow");
    }

    /** The old manager serves, its control plane and metrics answer on their ports, the pid file names it. */
    private void assertOldManagerServes(int[] ports, String name) throws Exception {
        assertTrue(manager.process.isAlive(), "the old manager carries on");
        long worker = Clients.pidFrom(manager.port);
        assertEquals(manager.pid(), ProcessHandle.of(worker).flatMap(ProcessHandle::parent).orElseThrow().pid());
        CtlIT.Run status = ctl("--nrepl-port", Integer.toString(ports[0]), "status");
        assertEquals(0, status.status(), "the control plane is back on its port: " + status);
        assertEquals(200, Http.get(ports[1], "/readyz").status(), "metrics are back on their port");
        assertEquals(Long.toString(manager.pid()), Files.readString(Path.of("target", name + ".pid")).trim());
    }

    /** Whether {@code pid}'s command line has prefork.Launcher (ProcessHandle.Info drops long ones). */
    private static boolean runsLauncher(long pid) {
        try {
            return Arrays.asList(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0")).contains("prefork.Launcher");
        } catch (IOException e) {
            return false;
        }
    }

    private boolean pidFileSays(String pid) {
        try {
            return Files.readString(pidFile).trim().equals(pid);
        } catch (IOException e) {
            return false;
        }
    }

    private static CtlIT.Run ctl(String... args) {
        try {
            return CtlIT.ctl(args);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("ctl " + String.join(" ", args), e);
        }
    }
}
