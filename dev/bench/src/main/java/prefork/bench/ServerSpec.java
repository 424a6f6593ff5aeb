package prefork.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A server under test and the commands that start it: prefork through its launcher (one process tree per
 * protocol, since a pool serves one socket), or a comparison server from this build that serves TCP and UDP
 * from one JVM, or the C prefork peer (dev/bench/c, one process tree). Every server binds 127.0.0.1, port 0.
 */
record ServerSpec(String name, String description, List<String> tcpCommand, List<String> udpCommand,
        boolean prefork) {
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /**
     * The launcher with {@code handler} on port 0 and the flags given: the launcher script beside
     * {@code preforkJar} (target/prefork, which maps the manager's class data archive; ServerProcess gives it
     * this JVM's JAVA_HOME), or {@code java -jar} where there is none (a --variant directory without it).
     */
    static List<String> launcher(Path preforkJar, String handler, String... flags) {
        Path script = preforkJar.resolveSibling("prefork");
        List<String> command = new ArrayList<>(java.nio.file.Files.isExecutable(script)
                ? List.of(script.toString()) : List.of(JAVA, "-jar", preforkJar.toString()));
        command.addAll(List.of("--handler", handler, "--port", "0"));
        command.addAll(List.of(flags));
        return command;
    }

    /** prefork with a pool of 5 to 20 and {@code extraFlags} (the suite's --prefork-flags) for TCP, and for UDP. */
    static ServerSpec prefork(String name, String description, Path preforkJar, String handler,
            List<String> extraFlags) {
        List<String> tcp = launcher(preforkJar, handler, "--min-servers", "5", "--max-servers", "20");
        tcp.addAll(extraFlags);
        List<String> udp = new ArrayList<>(tcp);
        udp.addAll(List.of("--protocol", "udp"));
        return new ServerSpec(name, description + (extraFlags.isEmpty() ? "" : " " + String.join(" ", extraFlags)),
                tcp, udp, true);
    }

    /** A native comparison server (the C prefork peer): {@code binary} with {@code args} and port 0; one process tree. */
    static ServerSpec nativeServer(String name, String description, Path binary, String... args) {
        List<String> command = new ArrayList<>(List.of(binary.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--port", "0"));
        return new ServerSpec(name, description, command, null, false);
    }

    /** A comparison server class of this build, run with default JVM flags; one process serves TCP and UDP. */
    static ServerSpec bench(String name, String description, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA, "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ServerSpec(name, description, command, null, false);
    }
}
