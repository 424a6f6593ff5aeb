package prefork;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Log that keeps every line (and echoes it to stderr, which surefire saves per test class). */
public final class CapturingLog implements Log {
    public final List<String> lines = new CopyOnWriteArrayList<>();
    private final Log echo = Log.stderr();

    @Override
    public void log(String line) {
        lines.add(line);
        echo.log(line);
    }

    public boolean contains(String fragment) {
        return lines.stream().anyMatch(line -> line.contains(fragment));
    }
}
