package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The new manager's command line at an upgrade: this JVM's own, or the same with another jar. */
class ManagerCommandTest {
    private static final Path JAR = Path.of("/opt/prefork/prefork-2.jar");

    @Test
    void currentIsThisJvmsCommandLineWithItsJava() throws Exception {
        List<String> argv = ManagerCommand.current();
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), argv.get(0));
        assertTrue(argv.size() > 1, argv.toString());
    }

    @Test
    void aJarReplacesTheMainClassAndItsClassPathKeepingOptionsAndArguments() {
        assertEquals(List.of("java", "-Xmx1g", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "-jar", JAR.toString(),
                        "--handler", "x.Y", "--port", "7000"),
                ManagerCommand.withJar(List.of("java", "-Xmx1g", "-cp", "a.jar:b.jar", "--add-opens",
                        "java.base/java.lang=ALL-UNNAMED", "prefork.Launcher", "--handler", "x.Y", "--port", "7000"), JAR));
        assertEquals(List.of("java", "-Dx=1", "-jar", JAR.toString(), "--config", "c"),
                ManagerCommand.withJar(List.of("java", "-Dx=1", "--class-path=a.jar", "-jar", "old.jar", "--config", "c"),
                        JAR));
    }

    @Test
    void aModuleLaunchCannotTakeAJar() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ManagerCommand.withJar(List.of("java", "-m", "app/app.Main"), JAR));
        assertTrue(e.getMessage().contains("cannot upgrade it to a jar"), e.getMessage());
    }

    @Test
    void theJvmOptionsAreWhatComesBeforeTheJarOrTheMainClassLessTheClassPath() {
        assertEquals(List.of("-XX:SharedArchiveFile=/c/m.jsa", "-Dprefork.managerArchive=/c/m.jsa", "-Xmx64m"),
                ManagerCommand.jvmOptions(List.of("java", "-XX:SharedArchiveFile=/c/m.jsa",
                        "-Dprefork.managerArchive=/c/m.jsa", "-Xmx64m", "-jar", "prefork.jar", "--port", "1")));
        assertEquals(List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED"), ManagerCommand.jvmOptions(List.of(
                "java", "-cp", "a.jar", "--add-opens", "java.base/java.lang=ALL-UNNAMED", "prefork.Launcher", "-Xmx1g")));
        assertThrows(IllegalArgumentException.class, () -> ManagerCommand.jvmOptions(List.of("java", "-m", "app/app.Main")));
    }
}
