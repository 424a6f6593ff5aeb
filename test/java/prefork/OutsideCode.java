package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.tools.ToolProvider;

/**
 * Application code that is not on the test JVM's class path, made in a fresh directory: the Java child
 * {@code app.OutsideChild} (replies with its worker's pid) compiled there, and the Clojure handler
 * {@code app.outside/handle} (replies "outside clojure"). {@link #close()} removes the directory.
 */
final class OutsideCode implements AutoCloseable {
    static final String JAVA_CHILD = "app.OutsideChild";
    static final String CLOJURE_HANDLER = "app.outside/handle";
    final Path directory;

    OutsideCode() throws IOException {
        directory = Files.createTempDirectory("prefork-outside-code");
        Path source = directory.resolve("OutsideChild.java");
        Files.writeString(source, "package app;\n"
                + "public class OutsideChild extends prefork.BaseChild {\n"
                + "    @Override protected void processRequest() throws Exception {\n"
                + "        conn().getOutputStream().write((ProcessHandle.current().pid() + \"\\n\").getBytes());\n"
                + "    }\n"
                + "}\n");
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-cp",
                System.getProperty("java.class.path"), "-d", directory.toString(), source.toString());
        assertEquals(0, status, "javac");
        Files.delete(source);
        Files.createDirectories(directory.resolve("app"));
        Files.writeString(directory.resolve("app/outside.clj"), "(ns app.outside)\n"
                + "(defn handle [{:keys [^java.io.OutputStream out]}]\n"
                + "  (.write out (.getBytes \"outside clojure\\n\")))\n");
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
