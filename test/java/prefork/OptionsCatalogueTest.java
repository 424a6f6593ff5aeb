package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import prefork.examples.EchoChild;
import prefork.manager.ServerConfig;

/**
 * The option catalogue reaches every surface: each option can be set from the builder, the launcher's flags,
 * the config file and the Clojure API to the same value, and --help, (doc start-server) and the README list
 * every option with its default. A refusal names the option and the value in each surface's vocabulary, with
 * the same reason.
 */
class OptionsCatalogueTest {
    /** A value for every option, as text (flags, config file) and as a Clojure form. */
    private static final Map<String, String[]> SAMPLES = new LinkedHashMap<>();
    /** user and group samples the manager may switch to: any as root, else only its own. */
    private static final boolean ROOT = jnr.posix.POSIXFactory.getNativePOSIX().geteuid() == 0;
    private static final String OWN_GID = Integer.toString(jnr.posix.POSIXFactory.getNativePOSIX().getegid());

    static {
        sample("port", "7070", "7070");
        sample("bind", "::1", "\"::1\"");
        sample("protocol", "udp", ":udp");
        sample("unix-path", "/tmp/x.sock", "\"/tmp/x.sock\"");
        sample("unix-mode", "660", "\"660\"");
        sample("add-listener", "unix:/tmp/y.sock", "[\"unix:/tmp/y.sock\"]");
        sample("listen", "77", "77");
        sample("accept-mode", "dispatch", ":dispatch");
        sample("reuse-port", "false", "false");
        sample("allow", "10.0.0.0/8", "[\"10.0.0.0/8\"]");
        sample("deny", "::1/128", "[\"::1/128\"]");
        sample("max-connections-per-address", "3", "3");
        sample("tls-cert", "/tmp/server.pem", "\"/tmp/server.pem\"");
        sample("tls-key", "/tmp/server.key", "\"/tmp/server.key\"");
        sample("tls-keystore", "/tmp/server.p12", "\"/tmp/server.p12\"");
        sample("tls-keystore-password", "secret", "\"secret\"");
        sample("tls-client-auth", "want", ":want");
        sample("tls-client-ca", "/tmp/ca.pem", "\"/tmp/ca.pem\"");
        sample("tls-handshake-timeout", "2", "2");
        sample("overload", "close", ":close");
        sample("dispatch-timeout", "1.5", "3/2");
        sample("min-servers", "3", "3");
        sample("max-servers", "9", "9");
        sample("min-spare-servers", "1", "1");
        sample("max-spare-servers", "4", "4");
        sample("grow-when-cpu-busy", "true", "true");
        sample("max-requests", "1000", "1000");
        sample("max-requests-jitter", "50", "50");
        sample("timeout", "2.5", "5/2");
        sample("idle-timeout", "1.5", "3/2");
        sample("graceful-timeout", "7", "7");
        sample("start-timeout", "11", "11");
        sample("max-worker-memory", "200m", "\"200m\"");
        sample("max-worker-memory-kind", "rss", ":rss");
        sample("memory-check-interval", "2", "2");
        sample("java-command", System.getProperty("java.home") + "/bin/java",
                "\"" + System.getProperty("java.home") + "/bin/java\"");
        sample("classpath", "/tmp/a.jar", "\"/tmp/a.jar\"");
        sample("worker-jvm-opts", "-Xmx64m -Xss512k", "[\"-Xmx64m\" \"-Xss512k\"]");
        sample("worker-jvm-opts-replace", "true", "true");
        sample("child-property", "color=blue", "{:color \"blue\"}");
        sample("class-data-sharing", "false", "false");
        sample("cache-directory", "/tmp/prefork-cache", "\"/tmp/prefork-cache\"");
        sample("handle-signals", "false", "false");
        sample("pid-file", "/tmp/prefork.pid", "\"/tmp/prefork.pid\"");
        sample("user", ROOT ? "nobody" : System.getProperty("user.name"),
                "\"" + (ROOT ? "nobody" : System.getProperty("user.name")) + "\"");
        sample("group", ROOT ? "nogroup" : OWN_GID, "\"" + (ROOT ? "nogroup" : OWN_GID) + "\"");
        sample("log-file", "/dev/null", "\"/dev/null\"");
        sample("access-log", "/dev/null", "\"/dev/null\"");
        sample("metrics-port", "0", "0");
        sample("metrics-bind", "::1", "\"::1\"");
        sample("nrepl-port", "0", "0");
        sample("nrepl-bind", "::1", "\"::1\"");
        sample("nrepl-socket", "", null);
        sample("nrepl-allow-remote", "true", "true");
        sample("watch", "clojure.set", "[(quote clojure.set)]");
    }

    private static void sample(String kebab, String text, String clojure) {
        SAMPLES.put(kebab, new String[] {text, clojure});
    }

    @Test
    void everyOptionHasASampleAndABuilderMethod() {
        for (Option<?> option : Options.all()) {
            assertTrue(SAMPLES.containsKey(option.kebab()), "no sample for " + option.kebab());
            assertTrue(Arrays.stream(ServerBuilder.class.getMethods()).map(Method::getName)
                    .anyMatch(option.name()::equals), "no builder method " + option.name());
        }
    }

    @Test
    void everyOptionReachesTheSameValueFromEverySurface(@TempDir Path dir) throws Exception {
        IFn builder = clojureBuilder();
        for (Option<?> option : Options.all()) {
            String[] sample = SAMPLES.get(option.kebab());
            if (sample[1] == null) {
                continue; // nrepl-socket excludes nrepl-port; checked alone below
            }
            Object fromFlag = launcherConfig(List.of(option.flag(), sample[0])).get(option);
            Path file = dir.resolve(option.kebab() + ".properties");
            Files.writeString(file, "handler = " + EchoChild.class.getName() + "\n"
                    + (option == Options.CHILD_PROPERTY ? "child-property.color = blue" : option.kebab() + " = " + sample[0]) + "\n");
            Object fromFile = launcherConfig(List.of("--config", file.toString())).get(option);
            Object fromJava = PreforkServer.builder(EchoChild.class).setText(option.kebab(), sample[0])
                    .validate().get(option);
            Object opts = Clojure.read("{" + option.keyword() + " " + sample[1] + "}");
            Object fromClojure = ((ServerBuilder) builder.invoke(Clojure.var("clojure.core", "eval").invoke(opts),
                    Clojure.read("prefork.examples.echo/handle"))).validate().get(option);
            if (option == Options.CHILD_PROPERTY) {
                Map<?, ?> properties = new LinkedHashMap<>((Map<?, ?>) fromClojure);
                properties.remove("handler"); // the Clojure API names its handler in a child property
                fromClojure = properties;
            }
            assertEquals(fromJava, fromFlag, option.flag());
            assertEquals(fromJava, fromFile, option.kebab() + " in a config file");
            assertEquals(fromJava, fromClojure, option.keyword());
        }
        Path socket = dir.resolve("n.sock");
        assertEquals(socket, launcherConfig(List.of("--nrepl-socket", socket.toString())).get(Options.NREPL_SOCKET));
    }

    @Test
    void aRefusalNamesTheOptionAndValueInEachSurfacesWords(@TempDir Path dir) throws Exception {
        InvalidOptionException java = assertThrows(InvalidOptionException.class,
                () -> PreforkServer.builder(EchoChild.class).maxServers(0));
        assertEquals("maxServers=0 is out of range: it must be between 1 and 500", java.getMessage());
        InvalidOptionException flag = assertThrows(InvalidOptionException.class,
                () -> launcherConfig(List.of("--max-servers", "0")));
        assertEquals("--max-servers=\"0\" is out of range: it must be between 1 and 500",
                flag.messageFor(Option.Surface.LAUNCHER));
        Path file = dir.resolve("bad.properties");
        Files.writeString(file, "max-servers = 0\n");
        IllegalArgumentException fromFile = assertThrows(IllegalArgumentException.class,
                () -> launcherConfig(List.of("--config", file.toString())));
        assertEquals("config file " + file + ": --max-servers=\"0\" is out of range: it must be between 1 and 500",
                fromFile.getMessage());
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.server"));
        Object clojure = Clojure.var("clojure.core", "eval").invoke(Clojure.read(
                "(try (prefork.server/start-server {:max-servers 0} (quote prefork.examples.echo/handle))"
                        + " (catch clojure.lang.ExceptionInfo e [(ex-message e) (ex-data e)]))"));
        assertEquals("[\":max-servers 0 is out of range: it must be between 1 and 500\" "
                + "{:kind :prefork.server/invalid-option, :key :max-servers, :value 0}]",
                Clojure.var("clojure.core", "pr-str").invoke(clojure));
        assertEquals(java.reason(), flag.reason());
    }

    @Test
    void helpDocstringAndReadmeListEveryOptionWithItsDefault() throws Exception {
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(help, true, StandardCharsets.UTF_8));
        try {
            Launcher.main(new String[] {"--help"});
        } finally {
            System.setOut(original);
        }
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.server"));
        String doc = (String) ((clojure.lang.IMeta) Clojure.var("prefork.server", "start-server")).meta()
                .valAt(Clojure.read(":doc"));
        String readme = Files.readString(Path.of("README.md"));
        for (Option<?> option : Options.all()) {
            assertTrue(help.toString(StandardCharsets.UTF_8).contains(option.flag() + " " + option.argument()),
                    "--help lacks " + option.flag());
            assertTrue(help.toString(StandardCharsets.UTF_8).contains("(default " + option.defaultText() + ")"),
                    "--help lacks the default of " + option.flag());
            assertTrue(doc.contains(option.keyword()) && doc.contains("(default " + option.defaultText() + ")"),
                    "(doc start-server) lacks " + option.keyword());
        }
        assertTrue(readme.contains(Options.markdownTable()),
                "README.md's option table differs from the catalogue; it should read:\n" + Options.markdownTable());
    }

    private static IFn clojureBuilder() {
        Clojure.var("clojure.core", "require").invoke(Clojure.read("prefork.server"));
        return (IFn) Clojure.var("clojure.core", "deref").invoke(
                Clojure.var("clojure.core", "resolve").invoke(Clojure.read("prefork.server/builder")));
    }

    private static ServerConfig launcherConfig(List<String> flags) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--handler", EchoChild.class.getName()));
        args.addAll(flags);
        return Launcher.parse(args.toArray(String[]::new)).builder().validate();
    }
}
