package prefork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small pools and file reads shared by the integration tests. */
public final class TestServers {
    private TestServers() {}

    /** A builder on 127.0.0.1, port 0, logging to {@code log}, with minServers..maxServers workers, none spare. */
    public static ServerBuilder pool(Class<? extends BaseChild> child, Log log, int minServers, int maxServers,
            int maxSpareServers) {
        return PreforkServer.builder(child).port(0).log(log).minServers(minServers).maxServers(maxServers)
                .minSpareServers(0).maxSpareServers(maxSpareServers);
    }

    /** The file's text, or "" while it does not exist (yet) or cannot be read. */
    public static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
