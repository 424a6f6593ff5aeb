package prefork.ctl;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar prefork.jar ctl ...}: operates a running server through its control plane without Clojure
 * ({@link CtlArguments} for the command line, {@link CtlProtocol} for what goes over the wire). Loads no
 * Clojure and no server class, so it answers about as fast as a JVM starts. Exit status 0 on success, 1 when
 * the server refused or failed or cannot be reached, 2 for bad usage.
 */
public final class Ctl {
    private Ctl() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one ctl command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CtlArguments arguments;
        try {
            arguments = CtlArguments.parse(args);
        } catch (CtlArguments.Usage e) {
            err.println("prefork ctl: " + e.getMessage() + " (see: prefork ctl help)");
            return 2;
        }
        if (arguments.command().equals("help")) {
            usage(out);
            return 0;
        }
        try (ControlConnection connection = arguments.socket() != null
                ? ControlConnection.unix(arguments.socket(), arguments.timeoutMillis())
                : ControlConnection.tcp(arguments.host(), arguments.port(), arguments.timeoutMillis())) {
            Map<String, Object> answer = connection.request(arguments.request());
            return print(arguments, answer, out, err);
        } catch (IOException e) {
            err.println("prefork ctl: " + e.getMessage());
            return 1;
        }
    }

    private static int print(CtlArguments arguments, Map<String, Object> answer, PrintStream out, PrintStream err) {
        List<?> status = (List<?>) answer.get("status");
        Object printedOut = answer.get("out");
        if (printedOut instanceof String text && !text.isEmpty()) {
            out.print(text);
        }
        if (status.contains("unknown-op")) {
            err.println("prefork ctl: the server does not know " + arguments.request().get("op")
                    + " (a prefork older than this ctl, or not a prefork control plane)");
            return 1;
        }
        if (!status.contains("error") && !status.contains("eval-error")) {
            out.print(text(arguments, answer));
            return 0;
        }
        if (answer.get("results") != null) {
            out.print(text(arguments, answer));
        }
        Object reason = answer.get("err");
        err.println("prefork ctl: the server refused or failed: "
                + (reason == null ? "no reason given" : reason.toString().strip()));
        return 1;
    }

    /** What a successful answer prints, newline-terminated. */
    private static String text(CtlArguments arguments, Map<String, Object> answer) {
        String result = switch (arguments.command()) {
            case "status" -> String.valueOf(answer.get("status-table"));
            case "workers", "stats" -> String.valueOf(answer.get(arguments.json() ? "json" : "text"));
            case "resize" -> "bounds: " + bounds(answer.get("bounds"));
            case "reload" -> "reload: a new generation of workers starts; the old ones stop once it is ready";
            case "stop" -> "stopping (" + answer.get("stopping") + ")";
            case "upgrade" -> "upgraded: the new manager pid " + answer.get("pid") + " is ready (after "
                    + answer.get("millis") + " ms); this one stops its workers gracefully and exits";
            case "eval" -> answer.containsKey("results") ? results(answer.get("results"))
                    : String.valueOf(answer.get("value"));
            default -> String.valueOf(answer);
        };
        return result.endsWith("\n") ? result : result + "\n";
    }

    private static String bounds(Object bounds) {
        StringBuilder text = new StringBuilder();
        if (bounds instanceof Map<?, ?> map) {
            for (String key : List.of("min-servers", "max-servers", "min-spare-servers", "max-spare-servers")) {
                text.append(text.length() == 0 ? "" : ", ").append(key).append(' ').append(map.get(key));
            }
        }
        return text.toString();
    }

    /** One line per worker: "PID STATUS VALUE". */
    private static String results(Object results) {
        StringBuilder text = new StringBuilder();
        if (results instanceof List<?> list) {
            for (Object item : list) {
                Map<?, ?> result = (Map<?, ?>) item;
                text.append(result.get("pid")).append(' ').append(result.get("status")).append(' ')
                        .append(result.get("value")).append('\n');
            }
        }
        return text.length() == 0 ? "(no live worker)\n" : text.toString();
    }

    private static void usage(PrintStream out) {
        out.println("""
                usage: java -jar prefork.jar ctl [CONNECTION] [--timeout SECONDS] COMMAND [OPTIONS]
                CONNECTION (the server's control plane, as its --nrepl-* options gave it):
                  --nrepl-port N [--nrepl-bind IP]   TCP (default address 127.0.0.1)
                  --nrepl-socket PATH                a Unix socket
                  --config FILE                      the server's config file: its nrepl-port, nrepl-bind, nrepl-socket
                  --timeout SECONDS                  how long to wait for the answer (default 30)
                COMMAND:
                  status                             one row per worker, then the pool bounds and totals
                  workers [--json]                   the worker rows (a table, or JSON)
                  stats [--json]                     counters and bounds ("key value" lines, or JSON)
                  resize [--min-servers N] [--max-servers N] [--min-spare-servers N] [--max-spare-servers N]
                  reload                             graceful reload, as HUP
                  stop [--now]                       graceful stop, as TERM; --now kills the workers at once
                  upgrade [--jar PATH]               zero-downtime upgrade: a new manager (this command line, or
                                                     -jar PATH) takes the sockets over; waits until it is ready
                                                     (default --timeout 600 here)
                  eval [--ns NS] CODE                evaluate Clojure CODE in the manager (- reads it from stdin)
                  eval --workers [--ns NS] [--worker-timeout SECONDS] CODE
                                                     evaluate CODE in every live worker, one line per worker
                  help
                Exit status: 0 done, 1 the server refused or failed or cannot be reached, 2 bad usage.""");
    }
}
