package prefork.bench;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One worker line of the prefork manager's log ("HH:mm:ss.SSS prefork[pid] worker slot=N pid=P gen=G spawned",
 * "... ready in X ms", "... exited (...)"), with the log's wall-clock time in epoch milliseconds.
 */
record WorkerEvent(String kind, int slot, long pid, long generation, long readyMillis, long epochMillis) {
    private static final Pattern LINE = Pattern.compile(
            "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) prefork\\[\\d+] worker slot=(\\d+) pid=(\\d+) gen=(\\d+) "
                    + "(spawned|ready in (\\d+) ms|exited)");

    /** The event on this log line, or null if it is not a worker's spawn, ready or exit line. */
    static WorkerEvent parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            return null;
        }
        String kind = m.group(5).startsWith("ready") ? "ready" : m.group(5);
        long ready = m.group(6) == null ? -1 : Long.parseLong(m.group(6));
        return new WorkerEvent(kind, Integer.parseInt(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)), ready, epochMillis(LocalTime.parse(m.group(1))));
    }

    private static long epochMillis(LocalTime time) {
        long now = System.currentTimeMillis();
        long millis = LocalDate.now().atTime(time).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        return millis - now > 12 * 3600_000L ? millis - 24 * 3600_000L : millis;
    }
}
