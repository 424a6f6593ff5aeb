package prefork.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The command line of a new manager at an upgrade: this process's own (from /proc/self/cmdline, byte for byte),
 * or, with a jar, the same JVM options and program arguments with {@code -jar JAR} in place of the main class
 * (or of the old {@code -jar} file).
 */
public final class ManagerCommand {
    /** JVM options whose value is the next argument (java(1)); anything else starting with '-' stands alone. */
    private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
            "--upgrade-module-path", "--add-modules", "--add-exports", "--add-opens", "--add-reads", "--patch-module",
            "--limit-modules", "--enable-native-access", "--source");

    private ManagerCommand() {}

    /** This process's command line, the java binary first; throws IOException when /proc cannot be read. */
    public static List<String> current() throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        String text = new String(raw, StandardCharsets.UTF_8);
        if (text.endsWith("\0")) {
            text = text.substring(0, text.length() - 1);
        }
        List<String> argv = new ArrayList<>(Arrays.asList(text.split("\0", -1)));
        argv.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return argv;
    }

    /**
     * {@code argv} (a java command line) with {@code jar} as what it runs: its main class (with its class path
     * options dropped) or the file after {@code -jar} replaced by {@code -jar JAR}. Throws
     * IllegalArgumentException when argv names no main class (a {@code --module} or source-file launch).
     */
    public static List<String> withJar(List<String> argv, Path jar) {
        Split split = split(argv);
        if (split == null) {
            throw new IllegalArgumentException("this manager was not started with a main class or -jar (" + argv
                    + "): cannot upgrade it to a jar");
        }
        List<String> result = new ArrayList<>(List.of(argv.get(0)));
        result.addAll(split.options());
        result.add("-jar");
        result.add(jar.toAbsolutePath().toString());
        result.addAll(argv.subList(split.main() + (argv.get(split.main()).equals("-jar") ? 2 : 1), argv.size()));
        return result;
    }

    /**
     * The JVM options of {@code argv} (a java command line): what comes before its main class or {@code -jar},
     * without the class path options. Throws IllegalArgumentException when argv names no main class.
     */
    public static List<String> jvmOptions(List<String> argv) {
        Split split = split(argv);
        if (split == null) {
            throw new IllegalArgumentException("this JVM was not started with a main class or -jar: " + argv);
        }
        return split.options();
    }

    /** A command line's JVM options less the class path ones, and the index of its main class or of {@code -jar}. */
    private record Split(List<String> options, int main) {}

    /** The Split of {@code argv}, or null when it has no main class and no {@code -jar} (a module launch). */
    private static Split split(List<String> argv) {
        List<String> options = new ArrayList<>();
        for (int i = 1; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (arg.equals("-jar") || !arg.startsWith("-")) {
                return new Split(options, i);
            }
            if (arg.equals("-m") || arg.equals("--module") || arg.startsWith("--module=")) {
                break;
            }
            boolean classPath = Set.of("-cp", "-classpath", "--class-path").contains(arg);
            if (!classPath && !arg.startsWith("--class-path=")) {
                options.add(arg);
            }
            if (WITH_VALUE.contains(arg) && i + 1 < argv.size()) {
                i++;
                if (!classPath) {
                    options.add(argv.get(i));
                }
            }
        }
        return null;
    }
}
