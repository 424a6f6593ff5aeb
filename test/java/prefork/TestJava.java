package prefork;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a JVM a test starts: this JVM's java, with native access enabled as the README says. */
final class TestJava {
    private TestJava() {
    }

    /**
     * {@code java --enable-native-access=ALL-UNNAMED ARGS...} with this JVM's java (JDK 17 accepts the flag; from
     * JDK 22 on, without it, jnr's first native call prints four WARNING lines when started with -cp).
     */
    static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED"));
        command.addAll(List.of(args));
        return command;
    }

    /** {@code java --enable-native-access=ALL-UNNAMED -cp (this JVM's class path) prefork.Launcher ARGS...}. */
    static List<String> launcher(String... args) {
        List<String> command = command("-cp", System.getProperty("java.class.path"), Launcher.class.getName());
        command.addAll(List.of(args));
        return command;
    }
}
