package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;
import prefork.probes.NreplProbe;

/**
 * The nREPL control plane of a launched manager against another local user: {@code nobody}, through
 * {@code setpriv} (these tests need root, as CI has). Each attack sends code whose side effect (a marker file)
 * must not happen; the same code sent by the owner makes it happen, so the probe is known to work.
 */
@Timeout(120)
class ControlPlaneOwnerIT extends WithLaunchedManager {
    private static final Path DIR = Path.of("target", "control-plane-owner-it").toAbsolutePath();
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

    @BeforeEach
    void directoryNobodyCanEnter() throws IOException {
        OtherUsers.assumeNobodyCanReachTheCheckout();
        Files.createDirectories(DIR);
        Files.setPosixFilePermissions(DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
    }


    @Test
    void anotherUsersTcpConnectionIsClosedBeforeAnythingIsEvaluated() throws Exception {
        manager = new LaunchedManager("control-plane-owner-tcp", PidChild.class, pool("--nrepl-port", "0"));
        int port = nreplPort(manager.nextLine());
        Path marker = fresh("tcp-marker");
        String code = "(spit \"" + marker + "\" \"evaluated\")";

        String attack = probe(AS_NOBODY, "tcp", Integer.toString(port), code);
        assertTrue(attack.startsWith("closed after 0 bytes"), "the server hangs up at once: " + attack);
        Await.until(Duration.ofSeconds(10), "the refusal is logged",
                () -> manager.count("nREPL: refused a connection from /127.0.0.1:") == 1);
        assertTrue(manager.log().contains("(uid 65534): only uid 0 may connect"), manager.log());
        assertFalse(Files.exists(marker), "nobody's code was not evaluated");

        String owner = probe(List.of(), "tcp", Integer.toString(port), code);
        assertTrue(owner.startsWith("reply"), owner);
        assertTrue(Files.exists(marker), "the owner's identical message is evaluated");
        assertEquals(1, manager.count("nREPL: refused"), "the owner is not refused");
    }

    @Test
    void openedToOtherHostsTheTcpPortStillRefusesLocalUsersOtherThanTheOwner() throws Exception {
        manager = new LaunchedManager("control-plane-owner-remote", PidChild.class,
                pool("--nrepl-port", "0", "--nrepl-bind", "0.0.0.0", "--nrepl-allow-remote", "true"));
        int port = nreplPort(manager.nextLine());
        Path marker = fresh("remote-marker");
        String code = "(spit \"" + marker + "\" \"evaluated\")";
        String attack = probe(AS_NOBODY, "tcp", Integer.toString(port), code);
        assertTrue(attack.startsWith("closed after 0 bytes"), attack);
        assertFalse(Files.exists(marker));
        assertTrue(probe(List.of(), "tcp", Integer.toString(port), code).startsWith("reply"));
        assertTrue(Files.exists(marker));
    }

    @Test
    void theUnixSocketAdmitsNoOtherUserNotEvenWhileItIsCreatedUnderUmask000() throws Exception {
        Path socket = fresh("ctl.sock");
        Path stop = fresh("race.stop");
        Path marker = fresh("unix-marker");
        String code = "(spit \"" + marker + "\" \"evaluated\")";
        Process racer = new ProcessBuilder(probeCommand(AS_NOBODY, "race", socket.toString(), stop.toString(), code))
                .redirectErrorStream(true).start();
        String raced;
        try {
            manager = new LaunchedManager("control-plane-owner-unix", List.of("sh", "-c", "umask 000; exec \"$@\"", "sh"),
                    PidChild.class.getName(), pool("--nrepl-socket", socket.toString()));
            assertTrue(manager.nextLine().startsWith("prefork: nREPL control plane on unix:" + socket + " "));
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
            try (Stream<Path> left = Files.list(DIR)) {
                assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".prefork-nrepl-")).toList(),
                        "the private directory it was bound in is gone");
            }
            Files.createFile(stop);
            assertTrue(racer.waitFor(70, TimeUnit.SECONDS), "the racer stops");
            raced = new String(racer.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            racer.destroyForcibly();
        }
        System.err.println("nobody racing the socket's creation: " + raced);
        assertTrue(raced.matches("attempts \\d+ connected 0 denied \\d+") && !raced.endsWith("denied 0"), raced);
        assertFalse(Files.exists(marker), "nobody's code was never evaluated");
        assertTrue(probe(List.of(), "unix", socket.toString(), code).startsWith("reply"));
        assertTrue(Files.exists(marker), "the owner's identical message is evaluated");
    }

    @Test
    void anOversizedOrMalformedMessageIsRefusedWithOneLogLineAndTheControlPlaneStaysUsable() throws Exception {
        manager = new LaunchedManager("control-plane-owner-bounds", PidChild.class, pool("--nrepl-port", "0"));
        String port = Integer.toString(nreplPort(manager.nextLine()));
        long rssBefore = rssKiB(manager.pid());

        String huge = probe(List.of(), "raw", port, "d4:code1200000000:");
        assertTrue(huge.startsWith("closed"), "17 bytes announcing a 1.2 GB string: " + huge);
        Await.until(Duration.ofSeconds(10), "one line for it", () -> manager.count("nREPL: refused a message from") == 1);
        assertTrue(manager.log().contains("string longer than 4194304 bytes"), manager.log());
        long grewKiB = rssKiB(manager.pid()) - rssBefore;
        assertTrue(grewKiB < 100 * 1024, "the manager did not allocate the string: RSS grew " + grewKiB + " KiB");

        String garbage = probe(List.of(), "raw", port, "this is not bencode\n");
        assertTrue(garbage.startsWith("closed"), garbage);
        Await.until(Duration.ofSeconds(10), "one line for it", () -> manager.count("nREPL: refused a message from") == 2);
        assertTrue(manager.lines().stream().noneMatch(line -> line.startsWith("\tat ") || line.contains("Exception in")),
                "no stack trace in the log:\n" + manager.log());

        String sum = probe(List.of(), "tcp", port, "(+ 1 2)");
        assertTrue(sum.contains("5:value1:3"), "a good message is still served: " + sum);
    }

    /** A one-worker pool, plus {@code flags}. */
    private static String[] pool(String... flags) {
        List<String> all = new ArrayList<>(List.of("--min-servers", "1", "--max-servers", "1",
                "--min-spare-servers", "0", "--max-spare-servers", "1"));
        all.addAll(List.of(flags));
        return all.toArray(String[]::new);
    }

    private static int nreplPort(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("prefork: nREPL control plane on [^ ]+:(\\d+) ")
                .matcher(String.valueOf(line));
        assertTrue(m.lookingAt(), "" + line);
        return Integer.parseInt(m.group(1));
    }

    private static Path fresh(String name) throws IOException {
        Path file = DIR.resolve(name);
        Files.deleteIfExists(file);
        return file;
    }

    /** Runs {@link NreplProbe} (with {@code prefix}: as another user) and returns the line it printed. */
    static String probe(List<String> prefix, String... args) throws IOException, InterruptedException {
        Process probe = new ProcessBuilder(probeCommand(prefix, args)).redirectErrorStream(true).start();
        try {
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "the probe finishes");
            return new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } finally {
            probe.destroyForcibly();
        }
    }

    static List<String> probeCommand(List<String> prefix, String... args) {
        String classes;
        try {
            classes = Path.of(NreplProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-cp", classes, NreplProbe.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    private static long rssKiB(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", ""))).findFirst().orElseThrow();
    }
}
