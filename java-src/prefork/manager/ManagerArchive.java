package prefork.manager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import prefork.Launcher;
import prefork.Log;

/**
 * A class data archive of the manager's own start-up, for the launcher script ({@code target/prefork}, which
 * runs {@code java -XX:SharedArchiveFile=ARCHIVE -Dprefork.managerArchive=ARCHIVE -jar prefork.jar}): a
 * manager that maps it reaches its first spawn about 0.1 s sooner (BENCHMARKS.md). {@code java -jar} alone
 * cannot use one, since a jar's manifest carries no JVM flags. Both ends are here: the server's start calls
 * {@link #refreshInBackground} once it serves, which checks the archive named by the property and,
 * when it is missing or this JVM could not map it, trains a new one: a JVM with
 * {@code -XX:ArchiveClassesAtExit} runs {@link #main}, the launcher's start of a one-worker echo server on a
 * loopback port chosen by the kernel (as the configured --user and --group), and is stopped by TERM once it prints that it listens; its clean exit
 * writes the archive, which replaces the old one atomically. A training JVM ends without writing anything when
 * this manager dies (EOF on its stdin). An archive or directory that another user owns or may write is neither
 * used (the script checks the same) nor replaced.
 */
public final class ManagerArchive {
    /** The system property the launcher script sets to the archive's path; without it nothing is made. */
    public static final String PROPERTY = "prefork.managerArchive";
    private static final long TRAINING_LIMIT_SECONDS = 120;
    /** The training run's server: the example echo child, one worker, loopback, no class data of its own. */
    private static final List<String> TRAINING_ARGUMENTS = List.of("--handler", "prefork.examples.EchoChild",
            "--bind", "127.0.0.1", "--port", "0", "--min-servers", "1", "--max-servers", "1",
            "--min-spare-servers", "0", "--max-spare-servers", "1", "--class-data-sharing", "false");

    private ManagerArchive() {}

    /**
     * The training JVM: the launcher with {@link #TRAINING_ARGUMENTS} and {@code args} (the manager's --user
     * and --group); it exits at TERM, or dies with the manager.
     */
    public static void main(String[] args) throws Exception {
        prefork.worker.Training.watchManager();
        List<String> arguments = new ArrayList<>(TRAINING_ARGUMENTS);
        arguments.addAll(List.of(args));
        Launcher.main(arguments.toArray(String[]::new));
    }

    /**
     * What the training run gets besides {@link #TRAINING_ARGUMENTS}: the configured --user and --group, so
     * that its worker never runs as root when the real ones do not (and the archive holds that code path).
     */
    static List<String> trainingArguments(String user, String group) {
        List<String> arguments = new ArrayList<>();
        if (user != null) {
            arguments.addAll(List.of("--" + prefork.Options.USER.kebab(), user));
        }
        if (group != null) {
            arguments.addAll(List.of("--" + prefork.Options.GROUP.kebab(), group));
        }
        return arguments;
    }

    /**
     * When this JVM was started with {@link #PROPERTY} (by the launcher script) and class data sharing is on,
     * checks and if need be remakes the archive on a daemon thread, logging what it did, and prunes the
     * directory's other manager archives and unfinished training runs ({@link ArchiveCache}); returns at once.
     * Does nothing for a class path with a directory on it (only jars can be archived). Called by the server's
     * start once every pool is ready.
     */
    public static void refreshInBackground(ServerConfig config) {
        String value = System.getProperty(PROPERTY);
        String classpath = System.getProperty("java.class.path");
        if (value == null || value.isBlank() || !config.get(prefork.Options.CLASS_DATA_SHARING)
                || !ClassDataArchive.jarsOnly(classpath)) {
            return;
        }
        Path archive = Path.of(value).toAbsolutePath();
        List<String> arguments = trainingArguments(config.get(prefork.Options.USER), config.get(prefork.Options.GROUP));
        Thread thread = new Thread(() -> refresh(archive, classpath, arguments, config.log()), "prefork-manager-archive");
        thread.setDaemon(true);
        thread.start();
    }

    private static void refresh(Path archive, String classpath, List<String> arguments, Log log) {
        for (Path file : List.of(archive.getParent(), archive)) {
            String why = ClassDataArchive.whyUntrusted(file);
            if (why != null) {
                log.log("manager class data archive: not used: " + file + " " + why);
                return;
            }
        }
        List<String> jvm = new ArrayList<>();
        try {
            jvm.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            jvm.addAll(archiveNeutral(ManagerCommand.jvmOptions(ManagerCommand.current())));
        } catch (IOException | IllegalArgumentException e) {
            log.log("manager class data archive: skipped: " + e.getMessage());
            return;
        }
        ArchiveCache.pruneLeftovers(archive.getParent(), Instant.now(), log); // with --user, not the workers' directory
        ArchiveCache.prune(archive.getParent(), "manager-*.jsa", archive, Instant.now(), log);
        if (Files.exists(archive, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isRegularFile(archive)) { // (whyUntrusted above has judged a link and its target)
                log.log("manager class data archive " + archive + " is not a regular file; rebuilding it");
                ClassDataArchive.removeName(archive); // a FIFO would block the JVM that opens it
            } else if (maps(jvm, archive, classpath)) {
                try {
                    ArchiveCache.markUsed(archive);
                } catch (IOException e) {
                    // still usable; it may be pruned earlier than its use deserves
                }
                return;
            } else {
                log.log("manager class data archive " + archive + " cannot be used by this JDK and these jars; rebuilding it");
            }
        }
        train(jvm, archive, classpath, arguments, log);
    }

    /**
     * The manager's JVM options without those about class data archives (the archive's own, and this
     * property) and without unified logging (-Xlog), which changes nothing an archive depends on.
     */
    static List<String> archiveNeutral(List<String> jvmOptions) {
        return jvmOptions.stream().filter(option -> !option.startsWith("-XX:SharedArchiveFile=")
                && !option.startsWith("-XX:ArchiveClassesAtExit=") && !option.startsWith("-Xshare:")
                && !option.equals("-XX:+AutoCreateSharedArchive") && !option.startsWith("-Xlog")
                && !option.startsWith("-D" + PROPERTY + "=")).toList();
    }

    /** Whether a JVM with the manager's options and class path maps {@code archive} ({@code -Xshare:on}). */
    private static boolean maps(List<String> jvm, Path archive, String classpath) {
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-cp", classpath, "-version"));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD); // nothing to read: a hung JVM cannot hold us
            ChildEnvironment.clean(builder.environment());
            Process check = builder.start();
            if (check.waitFor(TRAINING_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                return check.exitValue() == 0;
            }
            check.destroyForcibly();
        } catch (IOException e) {
            // cannot tell: rebuild
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
        return false;
    }

    private static void train(List<String> jvm, Path archive, String classpath, List<String> arguments, Log log) {
        long started = System.nanoTime();
        Path partial = ClassDataArchive.partialOf(archive);
        List<String> command = new ArrayList<>(jvm);
        command.addAll(List.of("-XX:ArchiveClassesAtExit=" + partial, "-cp", classpath, ManagerArchive.class.getName()));
        command.addAll(arguments);
        Process training = null;
        try {
            Files.createDirectories(archive.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            training = start(command);
            Process process = training;
            Thread deadline = new Thread(() -> {
                try {
                    if (!process.waitFor(TRAINING_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                }
            }, "prefork-manager-archive-deadline");
            deadline.setDaemon(true);
            deadline.start();
            stopOnceListening(process);
            if (process.waitFor() == 0 && ClassDataArchive.publish(partial, archive)) {
                log.log("manager class data archive created in " + (System.nanoTime() - started) / 1_000_000
                        + " ms: " + archive + " (the next start through the launcher script maps it)");
            } else {
                log.log("manager class data archive: the training JVM exited with " + process.exitValue() + "; skipped");
            }
        } catch (IOException e) {
            log.log("manager class data archive: " + e + "; skipped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (training != null) {
                training.destroyForcibly();
            }
            ClassDataArchive.discard(partial);
        }
    }

    /**
     * Reads the training JVM's output until it ends, and sends it TERM once it says it listens: the training
     * server then stops gracefully, and its exit writes the archive.
     */
    private static void stopOnceListening(Process process) throws IOException {
        boolean stopping = false;
        try (BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (!stopping && line.startsWith(Launcher.LISTENING)) {
                    // by its handle: Process.destroy() would also close its stdin, and EOF there kills it unwritten
                    process.toHandle().destroy();
                    stopping = true;
                }
            }
        }
    }

    /** Starts {@code command} with the children's environment, output and errors on one pipe, stdin a pipe. */
    private static Process start(List<String> command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        ChildEnvironment.clean(builder.environment());
        return builder.start();
    }
}
