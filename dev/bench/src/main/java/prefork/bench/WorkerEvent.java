package prefork.bench;

import java.time.OffsetDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One worker line of the prefork manager's log ("2026-12-01T20:44:30.123+00:00 prefork[pid] worker slot=N
 * pid=P gen=G spawned", "... ready in X ms", "... exited (...)"), with the log's time in epoch milliseconds.
 */
record WorkerEvent(String kind, int slot, long pid, long generation, long readyMillis, long epochMillis) {
    private static final Pattern LINE = Pattern.compile(
            "^(\\S+) prefork\\[\\d+] worker slot=(\\d+) pid=(\\d+) gen=(\\d+) "
                    + "(spawned|ready in (\\d+) ms|exited)");

    /** The event on this log line, or null if it is not a worker's spawn, ready or exit line. */
    static WorkerEvent parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return null;
        }
        String kind = m.group(5).startsWith("ready") ? "ready" : m.group(5);
        long ready = m.group(6) == null ? -1 : Long.parseLong(m.group(6));
        long epochMillis;
        try {
            epochMillis = OffsetDateTime.parse(m.group(1)).toInstant().toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            return null; // a log without the ISO-8601 stamp (a prefork older than the stamp)
        }
        return new WorkerEvent(kind, Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)), ready, epochMillis);
    }
}
