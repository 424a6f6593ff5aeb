package prefork;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import prefork.clojure.ClojureBridge;
import prefork.clojure.ClojureChild;

/**
 * The command line: {@code java -jar prefork.jar --handler <class or ns/var> [--config FILE] [options]}, one
 * flag per catalogue option ({@link Options}). Starts the server with signal handling on, prints
 * "prefork: listening on &lt;listener&gt;" per listener (and "prefork: nREPL control plane on ...") to stdout, and
 * runs until TERM or INT (graceful) has stopped every worker. {@code --check-config} validates and exits.
 * {@code --classpath} (or {@code classpath} in the config file) is the application's class path: the handler
 * is loaded from it in the manager too, and workers get this JVM's class path followed by it.
 * Exit status 0 after a clean stop (or a valid configuration), 2 for bad options, 1 if start fails.
 */
public final class Launcher {
    /** How the line printed per listener once the server serves begins (read by the manager archive's training). */
    public static final String LISTENING = "prefork: listening on ";

    private Launcher() {}

    /**
     * What the command line asks for: a configured builder, or help; with --classpath, that class path and a
     * loader over it (null without).
     */
    record Request(ServerBuilder builder, boolean help, boolean checkOnly, String classpath, ClassLoader application) {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("ctl")) { // operate a running server: prefork.ctl.Ctl
            prefork.ctl.Ctl.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Request request;
        try {
            request = parse(args);
        } catch (InvalidOptionException e) {
            exit(2, "prefork: " + e.messageFor(Option.Surface.LAUNCHER) + " (see --help)");
            return;
        } catch (IllegalArgumentException | IOException e) {
            exit(2, "prefork: " + e.getMessage() + " (see --help)");
            return;
        }
        if (request.help()) {
            usage(System.out);
            return;
        }
        try {
            useApplicationClasspath(request);
        } catch (InvalidOptionException e) {
            exit(2, "prefork: " + e.messageFor(Option.Surface.LAUNCHER) + " (see --help)");
            return;
        }
        if (!request.checkOnly()) {
            prefork.internal.Native.preload(); // jnr loads while the handler and the options are checked
        }
        boolean clojure = request.builder().childClassName().equals(ClojureChild.class.getName());
        try {
            if (request.checkOnly() || clojure) { // validating twice would cost a Java handler's start 0.1 s
                prefork.manager.ServerConfig config = request.builder().validate();
                if (clojure && (config.controlPlane() || request.checkOnly())) {
                    // the control plane evaluates code in the handler's namespace here first, and --check-config
                    // promises a handler that loads: load it now
                    ClojureBridge.requireHandler(config.childProperties().get("handler"), request.application());
                }
            }
        } catch (InvalidOptionException e) {
            exit(2, "prefork: " + e.messageFor(Option.Surface.LAUNCHER));
            return;
        } catch (IllegalArgumentException e) {
            exit(2, "prefork: " + e.getMessage());
            return;
        }
        if (request.checkOnly()) {
            System.out.println("prefork: configuration OK");
            return;
        }
        PreforkServer server;
        try {
            server = request.builder().start();
        } catch (InvalidOptionException e) {
            exit(2, "prefork: " + e.messageFor(Option.Surface.LAUNCHER));
            return;
        } catch (IllegalArgumentException e) {
            exit(2, "prefork: " + e.getMessage());
            return;
        } catch (Exception e) {
            exit(1, "prefork: cannot start: " + e.getMessage());
            return;
        }
        for (ListenerSpec listener : server.listeners()) {
            System.out.println(LISTENING + listener.protocol() + " " + (listener.path() != null
                    ? listener.path() : listener.host().getHostAddress() + ":" + listener.port()));
        }
        Path socket = server.option(Options.NREPL_SOCKET);
        if (socket != null || server.controlPlanePort() >= 0) {
            System.out.println("prefork: nREPL control plane on " + (socket != null ? "unix:" + socket
                    : server.option(Options.NREPL_BIND) + ":" + server.controlPlanePort())
                    + " (remote code execution: only this user may connect)");
        }
        if (server.metricsPort() >= 0) {
            String bind = server.option(Options.METRICS_BIND);
            System.out.println("prefork: metrics on http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":"
                    + server.metricsPort());
        }
        System.out.flush();
        while (!server.awaitTermination(Duration.ofDays(1))) {
            // runs until a signal stops the server
        }
        System.exit(0);
    }

    private static void exit(int status, String message) {
        System.err.println(message);
        System.exit(status);
    }

    /**
     * Parses the command line: the config file first, then the flags, which override it (a repeatable flag adds
     * to the file's values). Throws InvalidOptionException naming a bad option, IllegalArgumentException for
     * bad usage, IOException for a config file that cannot be read.
     */
    static Request parse(String[] args) throws IOException {
        String handler = null;
        Path config = null;
        boolean checkOnly = false;
        List<String[]> flags = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                return new Request(null, true, false, null, null);
            }
            if (flag.equals("--check-config")) {
                checkOnly = true;
                continue;
            }
            String value = null;
            int eq = flag.indexOf('=');
            if (flag.startsWith("--") && eq > 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            }
            boolean known = flag.equals("--handler") || flag.equals("--config")
                    || (flag.startsWith("--") && Options.byKebab(flag.substring(2)).isPresent());
            if (!known) {
                throw new IllegalArgumentException("unknown option " + flag);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + flag + " needs a value");
                }
                value = args[++i];
            }
            switch (flag) {
                case "--handler" -> handler = value;
                case "--config" -> config = Path.of(value);
                default -> flags.add(new String[] {flag.substring(2), value});
            }
        }
        Properties file = config == null ? new Properties() : ServerBuilder.readConfig(config);
        if (handler == null) {
            handler = file.getProperty("handler");
        }
        file.remove("handler");
        if (handler == null || handler.isBlank()) {
            throw new IllegalArgumentException("--handler <class | my.ns/var> is required (or handler= in --config)");
        }
        String classpath = file.getProperty(Options.CLASSPATH.kebab());
        for (String[] pair : flags) {
            classpath = pair[0].equals(Options.CLASSPATH.kebab()) ? pair[1] : classpath;
        }
        ClassLoader application = classpath == null ? null : applicationLoader(classpath);
        ServerBuilder builder = builderFor(handler.trim(), application).handleSignals(true);
        try {
            builder.applyConfig(file);
        } catch (InvalidOptionException e) {
            throw new IllegalArgumentException("config file " + config + ": " + e.messageFor(Option.Surface.LAUNCHER), e);
        }
        for (String[] pair : flags) {
            builder.setText(pair[0], pair[1]);
        }
        return new Request(builder, false, checkOnly, classpath, application);
    }

    /**
     * With --classpath: refuses an entry that does not exist, makes the application's loader this JVM's context
     * class loader (the child class, the Clojure handler and control-plane code load from it) and gives workers
     * this JVM's class path followed by the application's.
     */
    private static void useApplicationClasspath(Request request) {
        if (request.classpath() == null) {
            return;
        }
        for (String entry : request.classpath().split(File.pathSeparator)) {
            if (!entry.isEmpty() && !Files.exists(Path.of(entry))) {
                throw new InvalidOptionException(Options.CLASSPATH, request.classpath(),
                        "has no file or directory " + Path.of(entry).toAbsolutePath());
            }
        }
        Thread.currentThread().setContextClassLoader(request.application());
        request.builder().classpath(System.getProperty("java.class.path") + File.pathSeparator + request.classpath());
    }

    /** A class loader over the application's class path (entries separated by ':'), below the system class loader. */
    private static ClassLoader applicationLoader(String classpath) {
        List<URL> urls = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            try {
                if (!entry.isEmpty()) {
                    urls.add(Path.of(entry).toAbsolutePath().toUri().toURL());
                }
            } catch (MalformedURLException | java.nio.file.InvalidPathException e) {
                throw new InvalidOptionException(Options.CLASSPATH, classpath, "has an entry that is not a path: " + entry);
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getSystemClassLoader());
    }

    private static ServerBuilder builderFor(String handler, ClassLoader application) {
        if (handler.contains("/")) {
            requireNamespaceFile(handler, application);
            return PreforkServer.builder(ClojureChild.class).childProperty("handler", handler);
        }
        return PreforkServer.builder(handler);
    }

    /**
     * Checks, without loading Clojure, that a Clojure handler's namespace has a file on the class path, as
     * Clojure's {@code require} looks for one (NS__init.class, NS.clj or NS.cljc, dots as slashes, dashes as
     * underscores); the manager loads the namespace itself only for the control plane ({@link #main}), since
     * Clojure's start-up would delay the first worker by about half a second. Whether the var exists is then
     * checked by the first worker, which fails the start naming it. Throws IllegalArgumentException, one line.
     */
    private static void requireNamespaceFile(String symbol, ClassLoader application) {
        int slash = symbol.indexOf('/');
        if (slash < 1 || slash == symbol.length() - 1) {
            throw new IllegalArgumentException("handler \"" + symbol + "\" is not a fully-qualified symbol (my.ns/handle)");
        }
        String base = symbol.substring(0, slash).replace('-', '_').replace('.', '/');
        ClassLoader loader = application != null ? application : Launcher.class.getClassLoader();
        for (String suffix : List.of("__init.class", ".clj", ".cljc")) {
            if (loader.getResource(base + suffix) != null) {
                return;
            }
        }
        throw new IllegalArgumentException("handler \"" + symbol + "\" cannot be loaded: Could not locate " + base
                + "__init.class, " + base + ".clj or " + base + ".cljc on classpath.");
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar prefork.jar --handler <BaseChild class | clojure.ns/var> [--config FILE] [options]");
        out.println("       java -jar prefork.jar ... --check-config   (validate the options and exit)");
        out.println("       java -jar prefork.jar ctl ... COMMAND        (operate a running server; ctl help)");
        out.println("       prefork ...  (the launcher script beside prefork.jar: the same, starting sooner)");
        out.println("Serves connections from a pool of worker JVMs running the handler; runs until TERM or INT.");
        out.println("Signals: HUP reload, INT/TERM graceful stop (twice: now), TTIN/TTOU one more/fewer server,"
                + " USR1 reopen the log file.");
        out.println("--config FILE: a properties file of the options below without \"--\" (max-servers = 8, handler = ...);");
        out.println("  repeatable options take comma-separated values, child properties child-property.NAME = VALUE;");
        out.println("  flags on the command line override it.");
        out.println();
        for (Option<?> option : Options.all()) {
            out.printf("  %-36s %s (default %s)%n", option.flag() + " " + option.argument(), option.help(),
                    option.defaultText());
        }
    }
}
