package prefork.manager;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import prefork.Log;

/**
 * The sink of a pool's output pipe (every worker's stdout and stderr): each line goes to the log, and the last
 * lines that do not start with "[worker PID]" are kept, numbered. Those are what a JVM prints before prefork's
 * worker code runs ("Error: Could not find or load main class ...", "Invalid maximum heap size: -Xmx1q"), so a
 * worker that dies before it can report through the scoreboard is explained by the lines that arrived since
 * it was spawned.
 */
final class WorkerOutput {
    /** Unmarked lines kept; the pipe is shared, so these may come from any worker spawned since. */
    static final int KEPT_LINES = 50;
    /** At most this many distinct lines explain one boot failure. */
    static final int EXPLAINING_LINES = 8;
    private static final Duration DRAIN_LIMIT = Duration.ofMillis(500);
    private final Log log;
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private long count;
    private volatile LinePipe pipe;

    WorkerOutput(Log log) {
        this.log = log;
    }

    /** The pipe this sink reads, for {@link #since}; set once it is started. */
    void readFrom(LinePipe pipe) {
        this.pipe = pipe;
    }

    /** Passes a line to the log and keeps it if it is not marked with a worker's pid. */
    void accept(String line) {
        log.log(line);
        if (!line.startsWith("[worker ")) {
            synchronized (this) {
                recent.addLast(line);
                count++;
                if (recent.size() > KEPT_LINES) {
                    recent.removeFirst();
                }
            }
        }
    }

    /** How many unmarked lines have arrived so far: the mark to pass to {@link #since}. */
    synchronized long mark() {
        return count;
    }

    /**
     * The distinct unmarked lines that arrived after {@code mark} (the last {@link #EXPLAINING_LINES} of them),
     * after waiting up to 500 ms for what is already in the pipe to be read. Empty if there are none.
     */
    List<String> since(long mark) {
        LinePipe source = pipe;
        if (source != null) {
            source.awaitDrained(DRAIN_LIMIT);
        }
        Set<String> lines = new LinkedHashSet<>();
        synchronized (this) {
            long skip = Math.max(0, mark - (count - recent.size()));
            for (String line : recent) {
                if (skip-- <= 0) {
                    lines.add(line);
                }
            }
        }
        List<String> all = new ArrayList<>(lines);
        return all.subList(Math.max(0, all.size() - EXPLAINING_LINES), all.size());
    }
}
