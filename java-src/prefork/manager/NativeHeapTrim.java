package prefork.manager;

import java.nio.file.Path;
import java.util.List;

/**
 * Periodic trimming of the C heap (glibc's {@code malloc_trim}) in workers, where their JDK has it
 * ({@code -XX:TrimNativeHeapInterval}: JDK 17.0.11+, 21.0.3+ and 22+; experimental before it became a product
 * flag, hence the unlock). C2 frees its compilation arenas after each burst of compiling, but glibc keeps the
 * freed memory, so without it a worker that has compiled its serving path holds about 9 MB more: measured
 * 27.3 against 18.0 MiB PSS per worker after load (BENCHMARKS.md).
 */
final class NativeHeapTrim {
    /** How often a worker trims, in milliseconds. */
    static final int INTERVAL_MILLIS = 1000;

    private NativeHeapTrim() {}

    /**
     * The flags for workers run by {@code javaCommand}: the trim flags when that is this JVM's own java and
     * this JDK has the flag, else none (another java's version is not known without starting it).
     */
    static List<String> flags(String javaCommand) {
        return runsThisJava(javaCommand) && supported(Runtime.version())
                ? List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=" + INTERVAL_MILLIS)
                : List.of();
    }

    /**
     * Whether {@code javaCommand} is this JVM's own java (the java command option's default), whose version is
     * known; another java's is not without starting it. Also used by {@link ArchiveFormat}.
     */
    static boolean runsThisJava(String javaCommand) {
        return Path.of(javaCommand).equals(Path.of(prefork.Options.JAVA_COMMAND.defaultValue()));
    }

    /** Whether a JDK of {@code version} has -XX:TrimNativeHeapInterval. */
    static boolean supported(Runtime.Version version) {
        return switch (version.feature()) {
            case 17 -> version.update() >= 11;
            case 18, 19, 20 -> false;
            case 21 -> version.update() >= 3;
            default -> version.feature() > 21;
        };
    }
}
