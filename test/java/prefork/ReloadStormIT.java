package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;

/**
 * 20 HUPs 100 ms apart to a launched manager with maxServers 4: reloads run one at a time, the HUPs that
 * arrive meanwhile collapse into one pending reload, the pool never holds more than the old generation plus
 * maxServers, and no HUP is lost: every pending reload starts, and one more HUP later makes one more generation.
 */
@Timeout(120)
class ReloadStormIT extends WithLaunchedManager {
    private static final Pattern STARTING = Pattern.compile("reload: starting generation (\\d+)");


    @Test
    void aHupStormRunsOneReloadAtATimeWithinTheBounds() throws Exception {
        manager = new LaunchedManager("reload-storm-it", PidChild.class, "--min-servers", "2", "--max-servers", "4",
                "--min-spare-servers", "0", "--max-spare-servers", "4");
        AtomicInteger peak = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                peak.accumulateAndGet(manager.workers().size(), Math::max);
            }
        });
        sampler.start();
        try {
            for (int i = 0; i < 20; i++) {
                manager.signal("HUP");
                Thread.sleep(100); // the storm's pace, not a wait for an event
            }
            Await.until(Duration.ofSeconds(60), "the last generation has replaced every earlier one", this::settled);
        } finally {
            sampling.set(false);
            sampler.join();
        }
        int generations = lastGeneration();
        System.err.println("20 HUPs: " + (generations - 1) + " reloads, at most " + peak.get() + " workers at once");
        assertTrue(manager.log().contains("is still replacing an earlier one"), "some HUPs arrived during a reload");
        assertTrue(generations <= 20, "reloads collapsed: " + generations + " generations");
        assertTrue(peak.get() <= 8, "at most the old generation (4) plus maxServers (4): " + peak.get());

        manager.signal("HUP");
        Await.until(Duration.ofSeconds(60), "one more HUP makes one more generation",
                () -> lastGeneration() == generations + 1 && settled());
    }

    /** No reload is pending, and the newest generation's two workers are the only ones alive. */
    private boolean settled() {
        List<String> lines = manager.lines();
        int lastPending = -1, lastStart = -1;
        for (int i = 0; i < lines.size(); i++) {
            lastPending = lines.get(i).contains("is still replacing an earlier one") ? i : lastPending;
            lastStart = STARTING.matcher(lines.get(i)).find() ? i : lastStart;
        }
        if (lastPending > lastStart) {
            return false;
        }
        int generation = lastGeneration();
        Matcher spawned = Pattern.compile("pid=(\\d+) gen=" + generation + " spawned").matcher(manager.log());
        Set<Long> newest = new java.util.HashSet<>();
        while (spawned.find()) {
            newest.add(Long.parseLong(spawned.group(1)));
        }
        Set<Long> alive = manager.workers();
        return alive.size() == 2 && newest.containsAll(alive) && !manager.log().contains("gen=" + (generation + 1));
    }

    private int lastGeneration() {
        Matcher m = STARTING.matcher(manager.log());
        int last = 1;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }
}
