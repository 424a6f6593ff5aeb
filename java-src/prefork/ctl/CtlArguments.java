package prefork.ctl;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import prefork.InvalidOptionException;
import prefork.Option;
import prefork.Options;

/**
 * The ctl command line: {@code [--nrepl-port N [--nrepl-bind IP] | --nrepl-socket PATH | --config FILE]
 * [--timeout SECONDS] COMMAND [command options]}, parsed into where to connect and one request. Throws
 * {@link Usage} naming the option and value for anything it cannot take.
 *
 * @param host the control plane's address (TCP), or null with a socket
 * @param port its TCP port, or -1 with a socket
 * @param socket the control plane's Unix socket, or null
 * @param timeoutMillis how long the whole conversation may take
 * @param command the command's name ("status", "eval", ...), or "help"
 * @param request the nREPL message to send (null for help)
 * @param json whether the answer is to be printed as JSON
 */
record CtlArguments(String host, int port, Path socket, long timeoutMillis, String command,
        Map<String, Object> request, boolean json) {

    /** Bad usage: exit status 2. */
    static final class Usage extends Exception {
        Usage(String message) {
            super(message);
        }
    }

    static CtlArguments parse(String[] args) throws Usage {
        Integer port = null;
        String host = null;
        Path socket = null;
        double timeout = 30;
        boolean timeoutGiven = false;
        int i = 0;
        for (; i < args.length && args[i].startsWith("-"); i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                return help();
            }
            String value = value(args, i++);
            switch (flag) {
                case "--nrepl-port" -> port = number(flag, value, 0, 65535);
                case "--nrepl-bind" -> host = value;
                case "--nrepl-socket" -> socket = Path.of(value);
                case "--timeout" -> {
                    timeout = seconds(flag, value);
                    timeoutGiven = true;
                }
                case "--config" -> {
                    Properties file = config(value);
                    port = port != null || file.getProperty("nrepl-port") == null ? port
                            : Integer.valueOf(number("nrepl-port in " + value, file.getProperty("nrepl-port").trim(), 0,
                                    65535));
                    host = host != null ? host : trimmed(file.getProperty("nrepl-bind"));
                    socket = socket != null || file.getProperty("nrepl-socket") == null ? socket
                            : Path.of(file.getProperty("nrepl-socket").trim());
                }
                default -> throw new Usage("unknown option " + flag);
            }
        }
        if (i >= args.length) {
            throw new Usage("no command given");
        }
        String command = args[i];
        List<String> rest = List.of(args).subList(i + 1, args.length);
        if (command.equals("help")) {
            return help();
        }
        if (port != null && socket != null) {
            throw new Usage("--nrepl-socket=\"" + socket + "\" cannot be used with --nrepl-port=" + port);
        }
        if (port == null && socket == null) {
            throw new Usage("give --nrepl-port N or --nrepl-socket PATH (or --config FILE with nrepl-port)");
        }
        Map<String, Object> request = new LinkedHashMap<>();
        boolean json = false;
        long deadline = Math.round(timeout * 1000);
        switch (command) {
            case "status" -> request(request, CtlProtocol.STATUS, command, rest, List.of());
            case "workers", "stats" -> {
                json = request(request, command.equals("workers") ? CtlProtocol.WORKERS : CtlProtocol.STATS, command,
                        rest, List.of("--json")).contains("--json");
                request.put("format", json ? "json" : "text");
            }
            case "reload" -> request(request, CtlProtocol.RELOAD, command, rest, List.of());
            case "stop" -> {
                if (request(request, CtlProtocol.STOP, command, rest, List.of("--now")).contains("--now")) {
                    request.put("now", "true");
                }
            }
            case "resize" -> resize(request, rest);
            case "upgrade" -> {
                upgrade(request, rest);
                deadline = timeoutGiven ? deadline : UPGRADE_WAIT_MILLIS;
            }
            case "eval" -> deadline = Math.max(deadline, eval(request, rest) + 10_000);
            default -> throw new Usage("unknown command " + command);
        }
        return new CtlArguments(socket != null ? null : host == null ? "127.0.0.1" : host, socket != null ? -1 : port,
                socket, deadline, command, request, json);
    }

    /** How long upgrade waits for the answer without --timeout: the server answers within its startTimeout. */
    static final long UPGRADE_WAIT_MILLIS = 600_000;

    /** {@code upgrade [--jar PATH]}: the path is made absolute here (the server's working directory may differ). */
    private static void upgrade(Map<String, Object> request, List<String> rest) throws Usage {
        request.put("op", CtlProtocol.UPGRADE);
        if (rest.isEmpty()) {
            return;
        }
        if (rest.size() != 2 || !rest.get(0).equals("--jar")) {
            throw new Usage("upgrade takes only --jar PATH, not " + String.join(" ", rest));
        }
        Path jar = Path.of(rest.get(1)).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new Usage("--jar=\"" + rest.get(1) + "\" is not a file");
        }
        request.put("jar", jar.toString());
    }

    private static CtlArguments help() {
        return new CtlArguments(null, -1, null, 0, "help", null, false);
    }

    /** Sets the op; returns the flags given, each of which must be one of {@code allowed}. */
    private static List<String> request(Map<String, Object> request, String op, String command, List<String> rest,
            List<String> allowed) throws Usage {
        for (String arg : rest) {
            if (!allowed.contains(arg)) {
                throw new Usage(command + " does not take " + arg + (allowed.isEmpty() ? "" : "; it takes " + allowed));
            }
        }
        request.put("op", op);
        return rest;
    }

    /** The four bounds, checked as the launcher checks them (the option catalogue loads only for resize). */
    private static void resize(Map<String, Object> request, List<String> rest) throws Usage {
        List<Option<Integer>> bounds = List.of(Options.MIN_SERVERS, Options.MAX_SERVERS, Options.MIN_SPARE_SERVERS,
                Options.MAX_SPARE_SERVERS);
        request.put("op", CtlProtocol.RESIZE);
        for (int i = 0; i < rest.size(); i++) {
            String flag = rest.get(i);
            Option<Integer> bound = bounds.stream().filter(o -> o.flag().equals(flag)).findFirst()
                    .orElseThrow(() -> new Usage("resize does not take " + flag + "; it takes --min-servers N, "
                            + "--max-servers N, --min-spare-servers N, --max-spare-servers N"));
            String value = value(rest.toArray(String[]::new), i++);
            try {
                request.put(bound.kebab(), bound.parse(value));
            } catch (InvalidOptionException e) {
                throw new Usage(e.messageFor(Option.Surface.LAUNCHER));
            }
        }
        if (request.size() == 1) {
            throw new Usage("resize needs at least one of --min-servers, --max-servers, --min-spare-servers, "
                    + "--max-spare-servers");
        }
    }

    /** Fills an eval request; returns the workers' timeout in milliseconds (0 for the manager). */
    private static long eval(Map<String, Object> request, List<String> rest) throws Usage {
        request.put("op", CtlProtocol.EVAL);
        String code = null;
        double workerTimeout = 10;
        boolean workers = false;
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            switch (arg) {
                case "--workers" -> workers = true;
                case "--ns" -> request.put("ns", value(rest.toArray(String[]::new), i++));
                case "--worker-timeout" -> workerTimeout = seconds(arg, value(rest.toArray(String[]::new), i++));
                default -> {
                    if (arg.startsWith("--") || code != null) {
                        throw new Usage("eval does not take " + arg + "; usage: eval [--workers] [--ns NS] "
                                + "[--worker-timeout SECONDS] CODE");
                    }
                    code = arg.equals("-") ? stdin() : arg;
                }
            }
        }
        if (code == null || code.isBlank()) {
            throw new Usage("eval needs CODE (or - to read it from stdin)");
        }
        request.put("code", code);
        if (workers) {
            request.put("workers", "true");
            request.put("timeout", Double.toString(workerTimeout));
            return Math.round(workerTimeout * 1000);
        }
        return 0;
    }

    private static String value(String[] args, int i) throws Usage {
        if (i + 1 >= args.length) {
            throw new Usage("option " + args[i] + " needs a value");
        }
        return args[i + 1];
    }

    private static int number(String flag, String text, int low, int high) throws Usage {
        try {
            int n = Integer.parseInt(text);
            if (n >= low && n <= high) {
                return n;
            }
        } catch (NumberFormatException e) {
            throw new Usage(flag + "=\"" + text + "\" is not a whole number");
        }
        throw new Usage(flag + "=" + text + " is out of range: it must be between " + low + " and " + high);
    }

    private static double seconds(String flag, String text) throws Usage {
        try {
            double s = Double.parseDouble(text);
            if (s > 0 && s <= 86400) {
                return s;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new Usage(flag + "=\"" + text + "\" must be a number of seconds between 0 and 86400");
    }

    private static Properties config(String file) throws Usage {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            properties.load(in);
        } catch (IOException | RuntimeException e) {
            throw new Usage("--config=\"" + file + "\" cannot be read: " + e.getMessage());
        }
        return properties;
    }

    private static String trimmed(String text) {
        return text == null ? null : text.trim();
    }

    private static String stdin() throws Usage {
        try {
            return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new Usage("cannot read CODE from stdin: " + e.getMessage());
        }
    }
}
