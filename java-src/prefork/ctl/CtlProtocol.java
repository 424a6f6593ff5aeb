package prefork.ctl;

/**
 * The ctl protocol, both ends, in one place. The server end is the nREPL middleware of the control plane
 * ({@code clj-src/prefork/nrepl.clj}, {@code control-op}); the client end is {@link Ctl}. Every request is
 * one bencoded nREPL message {@code {"op" OP, "id" ID, ...parameters}}, sent without a session (nREPL makes
 * an ephemeral one); the server answers with one or more messages carrying the same id, the last one with
 * {@code "status"} holding {@code "done"}. A refusal or failure adds {@code "error"} to the status and the
 * reason in {@code "err"}; an op the server does not know answers {@code "unknown-op"}. Numbers that are not
 * whole travel as strings (bencode has only integers).
 *
 * <table>
 *   <caption>Ops</caption>
 *   <tr><th>op</th><th>parameters</th><th>answer fields</th></tr>
 *   <tr><td>{@value #STATUS}</td><td>none</td><td>{@code "status-table"}: the table of
 *       {@code PreforkServer.statusTable()}</td></tr>
 *   <tr><td>{@value #WORKERS}</td><td>{@code "format"}: {@code "json"} or {@code "text"} (optional)</td>
 *       <td>{@code "workers"}: a list of maps (slot, pid, state, requests, started-at, last-active, generation,
 *       listener, busy-ms, client, rss-bytes, pss-bytes, cpu-seconds, previous-exit); with a format,
 *       {@code "json"} or {@code "text"} instead</td></tr>
 *   <tr><td>{@value #STATS}</td><td>{@code "format"} as above</td><td>{@code "stats"}: a map (served, spawned,
 *       exits, busy, idle, starting, generation, peak-workers, the four bounds); or {@code "json"} /
 *       {@code "text"} (one "key value" line each)</td></tr>
 *   <tr><td>{@value #RESIZE}</td><td>any of {@code "min-servers" "max-servers" "min-spare-servers"
 *       "max-spare-servers"}, integers; the others are kept</td><td>{@code "bounds"}: the bounds now in
 *       force</td></tr>
 *   <tr><td>{@value #RELOAD}</td><td>none</td><td>{@code "reloading"}: {@code "true"}</td></tr>
 *   <tr><td>{@value #STOP}</td><td>{@code "now"}: {@code "true"} to kill the workers at once (optional)</td>
 *       <td>{@code "stopping"}: {@code "graceful"} or {@code "now"}; the shutdown starts after the answer</td></tr>
 *   <tr><td>{@value #EVAL}</td><td>{@code "code"}; {@code "ns"} (default user); {@code "workers"}:
 *       {@code "true"} to evaluate in every live worker instead of the manager; {@code "timeout"}: seconds the
 *       workers may take (default 10)</td><td>the manager: {@code "value"} (printed) and {@code "out"}; the
 *       workers: {@code "results"}, a list of {@code {"pid" "status" "value"}} (status ok, error or timeout),
 *       and {@code "error"} in the status if any worker's is not ok</td></tr>
 *   <tr><td>{@value #UPGRADE}</td><td>{@code "jar"}: the absolute path of the jar the new manager runs
 *       (optional: this manager's command line)</td><td>once the new manager is ready: {@code "pid"} (its pid) and
 *       {@code "millis"} (how long it took); this manager then stops gracefully and closes the connection. A
 *       new manager that is not ready within startTimeout is stopped: {@code "error"}, and the old one carries
 *       on</td></tr>
 * </table>
 */
final class CtlProtocol {
    static final String STATUS = "prefork/status";
    static final String WORKERS = "prefork/workers";
    static final String STATS = "prefork/stats";
    static final String RESIZE = "prefork/resize";
    static final String RELOAD = "prefork/reload";
    static final String STOP = "prefork/stop";
    static final String EVAL = "prefork/eval";
    static final String UPGRADE = "prefork/upgrade";

    private CtlProtocol() {}
}
