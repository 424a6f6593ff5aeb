package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.examples.PidChild;

/**
 * workerJvmOptions come after the default worker flags (the JVM takes the last of two -Xmx), and with
 * workerJvmOptionsReplace(true) they are the only ones; read from the real worker's command line.
 */
@Timeout(120)
class WorkerJvmOptionsIT {
    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    private static List<String> workerCommandLine(ServerBuilder builder) throws Exception {
        try (PreforkServer server = builder.port(0).log(new CapturingLog()).minServers(1).maxServers(1)
                .minSpareServers(0).maxSpareServers(1).start()) {
            long pid = Clients.pidFrom(server.port());
            return Arrays.asList(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
        }
    }

    @Test
    void optionsFollowTheDefaults() throws Exception {
        List<String> command = workerCommandLine(PreforkServer.builder(PidChild.class)
                .workerJvmOptions(List.of("-Xmx100m", "-Dprefork.test=added")));
        int first = command.indexOf(ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS.get(0));
        assertTrue(first > 0, "the defaults are there: " + command);
        assertEquals(ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS,
                command.subList(first, first + ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS.size()));
        // then the C heap trimming (the JDKs this suite runs on, 17.0.15+ and 25, have it), then the given flags
        int added = first + ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS.size();
        assertEquals(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000"),
                command.subList(added, added + 2), "the trim flags follow the defaults: " + command);
        assertEquals(List.of("-Xmx100m", "-Dprefork.test=added"), command.subList(added + 2, added + 4),
                "the given flags follow them: " + command);
    }

    @Test
    void replaceDropsTheDefaults() throws Exception {
        List<String> command = workerCommandLine(PreforkServer.builder(PidChild.class)
                .workerJvmOptions(List.of("-Xmx100m")).workerJvmOptionsReplace(true));
        assertEquals("-Xmx100m", command.get(1), "the given flag comes right after java: " + command);
        for (String flag : ServerBuilder.DEFAULT_WORKER_JVM_OPTIONS) {
            assertFalse(command.contains(flag), flag + " is gone: " + command);
        }
        assertFalse(command.contains("-XX:TrimNativeHeapInterval=1000"), "so are the trim flags: " + command);
    }
}
