package prefork;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

/** What the tests that act as another user ({@code nobody}, through setpriv) need of the machine. */
final class OtherUsers {
    private OtherUsers() {}

    /**
     * Skips the test, saying why, unless this JVM is root and every directory from / down to this checkout can
     * be entered by other users (a clone under {@code mktemp -d}, mode 700, cannot: nobody would not reach
     * target/ there).
     */
    static void assumeNobodyCanReachTheCheckout() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "acting as another user needs root (setpriv)");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            assumeTrue(Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE),
                    "other users cannot enter " + dir + ": clone into a directory they can traverse to run this test");
        }
    }
}
