package prefork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the workers' class data archive looks like for a JDK (prefork's ArchiveFormat): an AOT cache
 * ({@code worker-KEY.aot}, mapped with {@code -XX:AOTCache=}) on JDK 25 and later, a dynamic AppCDS archive
 * ({@code worker-KEY.jsa}, {@code -XX:SharedArchiveFile=}) before. The constants are the JDK running the tests'.
 *
 * @param suffix the archive file's extension, with its dot
 * @param flag the flag of a worker that maps the archive, up to its "="
 */
record WorkerArchives(String suffix, String flag) {
    private static final WorkerArchives THIS_JDK = forFeature(Runtime.version().feature());
    /** The archive file's extension on the JDK running the tests. */
    static final String SUFFIX = THIS_JDK.suffix();
    /** The mapping flag on the JDK running the tests. */
    static final String FLAG = THIS_JDK.flag();

    /** The archive of a manager running the JDK at {@code javaHome} (its release file's JAVA_VERSION). */
    static WorkerArchives of(Path javaHome) {
        try {
            Matcher version = Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(Files.readString(javaHome.resolve("release")));
            if (!version.find()) {
                throw new IllegalStateException("no JAVA_VERSION in " + javaHome.resolve("release"));
            }
            return forFeature(Integer.parseInt(version.group(1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static WorkerArchives forFeature(int feature) {
        return feature >= 25 ? new WorkerArchives(".aot", "-XX:AOTCache=") : new WorkerArchives(".jsa", "-XX:SharedArchiveFile=");
    }
}
