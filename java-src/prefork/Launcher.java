package prefork;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The command line: {@code java -jar prefork.jar --handler <class or ns/var> [options]}. Starts the server
 * with signal handling on, prints "prefork: listening on <protocol> <address>:<port>" (and, with
 * --nrepl-port, "prefork: nREPL control plane on <address>:<port>") to stdout, and runs until TERM or INT
 * (graceful) has stopped every worker. A handler "my.ns/handle" is a Clojure var, run by {@link ClojureChild}. Exit status 0 after a clean stop, 2 for bad options, 1 if start fails.
 */
public final class Launcher {
    private static final Map<String, Option> OPTIONS = new LinkedHashMap<>();
    private static final List<String> NREPL_FLAGS = List.of("--nrepl-port", "--nrepl-bind", "--nrepl-allow-remote");

    private record Option(String argument, String help, BiConsumer<ServerBuilder, String> apply) {}

    private static void option(String name, String argument, String help, BiConsumer<ServerBuilder, String> apply) {
        OPTIONS.put(name, new Option(argument, help, apply));
    }

    static {
        option("--port", "N", "port to bind, 0 for any (default 10000)", (b, v) -> b.port(integer("--port", v)));
        option("--bind", "IP", "address to bind (default 127.0.0.1; 0.0.0.0 or :: for all)", ServerBuilder::bindIp);
        option("--protocol", "tcp|udp|unix", "protocol (default tcp; unix needs --unix-path)", ServerBuilder::protocol);
        option("--unix-path", "PATH", "Unix domain socket file for --protocol unix", ServerBuilder::unixPath);
        option("--unix-mode", "MODE", "octal mode of Unix socket files, e.g. 660 (default: umask)", ServerBuilder::unixMode);
        option("--add-listener", "SPEC", "another listener with its own pool: tcp://H:P, udp://H:P, unix:/PATH (repeatable)",
                ServerBuilder::addListener);
        option("--listen", "N", "TCP listen backlog (default 1024)", (b, v) -> b.listen(integer("--listen", v)));
        option("--min-servers", "N", "minimum workers (default 5)", (b, v) -> b.minServers(integer("--min-servers", v)));
        option("--max-servers", "N", "maximum workers (default 20)", (b, v) -> b.maxServers(integer("--max-servers", v)));
        option("--min-spare-servers", "N", "minimum idle workers (default 2)",
                (b, v) -> b.minSpareServers(integer("--min-spare-servers", v)));
        option("--max-spare-servers", "N", "maximum idle workers (default 10)",
                (b, v) -> b.maxSpareServers(integer("--max-spare-servers", v)));
        option("--max-requests", "N", "recycle a worker after N requests, 0 = never (default 0)",
                (b, v) -> b.maxRequests(integer("--max-requests", v)));
        option("--max-requests-jitter", "N", "add 0..N to each worker's max requests (default 0)",
                (b, v) -> b.maxRequestsJitter(integer("--max-requests-jitter", v)));
        option("--reuse-port", "true|false", "a SO_REUSEPORT socket per worker, tcp only (default false)",
                (b, v) -> b.reusePort(Boolean.parseBoolean(v)));
        option("--timeout", "SECONDS", "kill a worker busy longer than this, 0 = never (default 30)",
                (b, v) -> b.timeout(Duration.ofSeconds(integer("--timeout", v))));
        option("--graceful-timeout", "SECONDS", "shutdown deadline for in-flight requests (default 30)",
                (b, v) -> b.gracefulTimeout(Duration.ofSeconds(integer("--graceful-timeout", v))));
        option("--class-data-sharing", "true|false", "share an AppCDS archive of boot classes among workers (default true)",
                (b, v) -> b.classDataSharing(Boolean.parseBoolean(v)));
        option("--log-file", "PATH", "append the log to PATH instead of stderr; USR1 reopens it (default stderr)",
                (b, v) -> {
                    try {
                        b.log(Log.file(Path.of(v)));
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException("--log-file=\"" + v + "\" cannot be opened: " + e.getMessage());
                    }
                });
        option("--pid-file", "PATH", "write the manager's pid to PATH while it runs (default none)",
                (b, v) -> b.pidFile(Path.of(v)));
        option("--worker-jvm-opts", "\"FLAGS\"", "JVM flags for workers, space separated",
                (b, v) -> b.workerJvmOptions(Arrays.asList(v.trim().split("\\s+"))));
        option("--child-property", "NAME=VALUE", "a property for the child class (repeatable)", (b, v) -> {
            int eq = v.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--child-property=\"" + v + "\" must be NAME=VALUE");
            }
            b.childProperty(v.substring(0, eq), v.substring(eq + 1));
        });
    }

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        ServerBuilder builder;
        Map<String, String> nrepl = new LinkedHashMap<>();
        try {
            builder = parse(args, nrepl);
        } catch (IllegalArgumentException e) {
            System.err.println("prefork: " + e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        if (builder == null) {
            usage(System.out);
            return;
        }
        PreforkServer server;
        try {
            server = builder.handleSignals(true).start();
        } catch (IllegalArgumentException e) {
            System.err.println("prefork: " + e.getMessage());
            System.exit(2);
            return;
        } catch (Exception e) {
            System.err.println("prefork: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        for (ListenerSpec listener : server.listeners()) {
            System.out.println("prefork: listening on " + listener.protocol() + " " + (listener.path() != null
                    ? listener.path() : listener.host().getHostAddress() + ":" + listener.port()));
        }
        if (nrepl.containsKey("--nrepl-port")) {
            startNrepl(server, nrepl);
        }
        System.out.flush();
        while (!server.awaitTermination(Duration.ofDays(1))) {
            // runs until a signal stops the server
        }
        System.exit(0);
    }

    private static void startNrepl(PreforkServer server, Map<String, String> flags) {
        String bind = flags.getOrDefault("--nrepl-bind", "127.0.0.1");
        try {
            Object port = ClojureChild.call("prefork.nrepl/start-for-java!", server, flags.get("--handler"), bind,
                    integer("--nrepl-port", flags.get("--nrepl-port")),
                    Boolean.parseBoolean(flags.getOrDefault("--nrepl-allow-remote", "false")));
            System.out.println("prefork: nREPL control plane on " + bind + ":" + port
                    + " (remote code execution: keep it on loopback)");
        } catch (RuntimeException e) {
            System.err.println("prefork: cannot start nREPL: " + e.getMessage());
            server.close();
            System.exit(2);
        }
    }

    /**
     * Returns the configured builder, or null when --help was asked for; nREPL flags (and the handler, if it
     * is a Clojure var) go into {@code nrepl}. Throws IllegalArgumentException naming a bad flag.
     */
    static ServerBuilder parse(String[] args, Map<String, String> nrepl) {
        String handler = null;
        List<String[]> ordered = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                return null;
            }
            String value = null;
            int eq = flag.indexOf('=');
            if (flag.startsWith("--") && eq > 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            }
            if (!flag.equals("--handler") && !OPTIONS.containsKey(flag) && !NREPL_FLAGS.contains(flag)) {
                throw new IllegalArgumentException("unknown option " + flag);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + flag + " needs a value");
                }
                value = args[++i];
            }
            if (flag.equals("--handler")) {
                handler = value;
            } else if (NREPL_FLAGS.contains(flag)) {
                nrepl.put(flag, value);
            } else {
                ordered.add(new String[] {flag, value});
            }
        }
        if (handler == null) {
            throw new IllegalArgumentException("--handler <class> is required");
        }
        ServerBuilder builder;
        if (handler.contains("/")) {
            ClojureChild.requireHandler(handler);
            builder = PreforkServer.builder(ClojureChild.class).childProperty("handler", handler);
            nrepl.put("--handler", handler);
        } else {
            builder = PreforkServer.builder(handler);
        }
        for (String[] pair : ordered) {
            OPTIONS.get(pair[0]).apply().accept(builder, pair[1]);
        }
        return builder;
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + "=\"" + value + "\" is not a whole number");
        }
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar prefork.jar --handler <BaseChild class | clojure.ns/var> [options]");
        out.println("Serves connections from a pool of worker JVMs running the handler; runs until TERM or INT.");
        out.println("Signals: HUP reload, INT/TERM graceful stop (twice: now), TTIN/TTOU one more/fewer server, USR1 reopen the log file.");
        out.println();
        OPTIONS.forEach((name, option) -> out.printf("  %-34s %s%n", name + " " + option.argument(), option.help()));
        out.printf("  %-34s %s%n", "--nrepl-port N", "start the nREPL control plane in the manager (0 = any port)");
        out.printf("  %-34s %s%n", "--nrepl-bind IP", "nREPL address (default 127.0.0.1)");
        out.printf("  %-34s %s%n", "--nrepl-allow-remote true", "allow a non-loopback --nrepl-bind (remote code execution!)");
    }
}
