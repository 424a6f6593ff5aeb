package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runners such as {@code mvn exec:java} load the application from a class loader of their own, while
 * java.class.path holds only their bootstrap jars. Here the child class is compiled into a directory that is
 * not on java.class.path and loaded as exec:java loads it: from a URLClassLoader set as the context class loader.
 * Workers then get that directory on their class path; a loader that is not a URLClassLoader is refused, saying
 * to set classpath.
 */
@Timeout(120)
class ExecJavaClasspathIT {
    private static final String CHILD = OutsideCode.JAVA_CHILD;
    private OutsideCode code;
    private Path classes;
    private final ClassLoader original = Thread.currentThread().getContextClassLoader();

    @BeforeEach
    void compileAChildOutsideTheClassPath() throws IOException {
        code = new OutsideCode();
        classes = code.directory;
    }

    @AfterEach
    void restore() throws IOException {
        Thread.currentThread().setContextClassLoader(original);
        Processes.assertNoChildren();
        code.close();
    }

    @Test
    void workersGetTheContextClassLoadersDirectories() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                ClassLoader.getSystemClassLoader())) {
            Thread.currentThread().setContextClassLoader(loader);
            try (PreforkServer server = PreforkServer.builder(CHILD).port(0).log(new CapturingLog()).minServers(1)
                    .maxServers(1).minSpareServers(0).maxSpareServers(1).start()) {
                long pid = Clients.pidFrom(server.port());
                assertEquals(List.of(pid), server.workers().stream().map(WorkerInfo::pid).toList(),
                        "the worker answered with the class from " + classes);
                String commandLine = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
                assertTrue(commandLine.contains(classes.toString()), commandLine);
            }
        }
    }

    @Test
    void aLoaderThatIsNotAUrlClassLoaderIsRefusedNamingClasspath() {
        ClassLoader opaque = new ClassLoader(ClassLoader.getSystemClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                try {
                    byte[] bytes = Files.readAllBytes(classes.resolve(name.replace('.', '/') + ".class"));
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }

            @Override
            public String toString() {
                return "OpaqueLoader";
            }
        };
        Thread.currentThread().setContextClassLoader(opaque);
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> PreforkServer.builder(CHILD).port(0).minServers(1).start());
        assertEquals(Options.CLASSPATH, e.option());
        assertEquals("classpath=\"" + System.getProperty("java.class.path") + "\" (the default: this JVM's"
                + " java.class.path) does not have class app.OutsideChild, which is loaded by OpaqueLoader (not a"
                + " URLClassLoader over jars and directories): set classpath to the workers' class path", e.getMessage());
        assertTrue(Processes.children().isEmpty(), "nothing was spawned");
    }
}
