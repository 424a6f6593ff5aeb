package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * In the packaged jar, each AOT-compiled namespace's {@code __init.class} is dated strictly after its {@code .clj}
 * as the jar records them (to 2 seconds): Clojure loads the source, and compiles it in every worker at boot,
 * unless the class is newer (dev/build/aot.clj dates the sources back).
 */
@Timeout(30)
class PackagedNamespacesIT {
    @Test
    void compiledNamespacesAreNewerThanTheirSources() throws Exception {
        try (JarFile jar = new JarFile(Path.of("target", "prefork.jar").toFile())) {
            for (String base : List.of("prefork/worker", "prefork/examples/echo")) {
                ZipEntry init = jar.getEntry(base + "__init.class");
                ZipEntry source = jar.getEntry(base + ".clj");
                assertTrue(init != null && source != null, base + ": both the class and the source are packaged");
                assertEquals(1, Long.signum(init.getTime() - source.getTime()), base + "__init.class at "
                        + init.getLastModifiedTime() + " is not newer than " + base + ".clj at " + source.getLastModifiedTime());
            }
        }
    }
}
