package prefork.manager;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import prefork.Log;
import prefork.Options;

/**
 * An AppCDS archive of the classes a worker loads at boot, so that later workers start faster and share those
 * classes' memory (DESIGN.md: a Clojure worker 225 ms -> 118 ms). It is made once per combination of JDK,
 * classpath (every jar's path, size and time), worker flags and child: a training JVM loads the child (and,
 * for Clojure handlers, their namespaces) and writes the archive as it exits, in the background, while the
 * server already runs; workers spawned once it exists map it. On JDK 25 and later it is an AOT cache, before a
 * dynamic AppCDS archive ({@link ArchiveFormat}). Only a classpath of jars
 * can be archived; with a class directory on it (a development build) the archive is skipped. A cache
 * directory or archive that another user owns or may write is not used (one warning): workers would map what
 * that user put there. Workers that run as another user (the user option) keep theirs in a directory of that
 * user's ({@link WorkerArchiveDirectory}), made and mapped by that user's JVMs. The training JVM exits when the manager dies (EOF on its stdin), and the partial files
 * of training runs whose manager is gone are removed at the next start.
 */
public final class ClassDataArchive {
    private static final long TRAINING_LIMIT_SECONDS = 120;
    /** How long the check's output may go on after its JVM has exited (a process it started that keeps the pipe). */
    private static final long OUTPUT_WAIT_MILLIS = 2_000;
    private final Path archive;
    private final ArchiveFormat format;
    private final Log log;
    private final ServerConfig config;
    private volatile boolean ready;
    private volatile Process training;

    private ClassDataArchive(Path archive, ArchiveFormat format, ServerConfig config) {
        this.archive = archive;
        this.format = format;
        this.config = config;
        this.log = config.log();
        this.ready = archive != null && Files.isRegularFile(archive);
    }

    /** The archive for {@code config}, or a disabled one (no option ever added) when it cannot be used. */
    public static ClassDataArchive forConfig(ServerConfig config) {
        if (config.cacheDirectory() == null || !jarsOnly(config.classpath())) {
            return new ClassDataArchive(null, ArchiveFormat.JSA, config);
        }
        WorkerUser user = WorkerUser.of(config);
        Path directory = config.cacheDirectory();
        if (user != null) {
            directory = WorkerArchiveDirectory.of(config.cacheDirectory(), user);
            String why;
            try {
                why = WorkerArchiveDirectory.prepare(config.cacheDirectory(), user);
            } catch (IOException e) {
                why = "cannot be made: " + e;
            }
            if (why != null) {
                config.log().log("class data archive: not used: " + why + "; set cache-directory to a directory it can reach");
                return new ClassDataArchive(null, ArchiveFormat.JSA, config);
            }
        }
        ArchiveFormat format = ArchiveFormat.forWorkers(config);
        Path archive = directory.resolve(format.fileName(key(config, user)));
        int workersUid = user == null ? -1 : user.uid();
        for (Path file : List.of(config.cacheDirectory(), directory, archive)) {
            String why = whyUntrusted(file, file.equals(config.cacheDirectory()) ? -1 : workersUid);
            if (why != null) {
                config.log().log("class data archive: not used: " + file + " " + why);
                return new ClassDataArchive(null, ArchiveFormat.JSA, config);
            }
        }
        return new ClassDataArchive(archive, format, config);
    }

    /** Why {@code file} (when it exists) must not be used, or null. */
    static String whyUntrusted(Path file) {
        return whyUntrusted(file, -1);
    }

    /**
     * Why {@code file} (when it exists) must not be used, or null; {@code workersUid} (-1: none) is the workers'
     * user, whose own files (the archive its training JVM wrote, its directory) are trusted too.
     */
    static String whyUntrusted(Path file, int workersUid) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            return workersUid < 0 ? OwnedFiles.whyUntrusted(file) : OwnedFiles.whyUntrusted(file, workersUid);
        } catch (IOException e) {
            return "cannot be examined: " + e;
        }
    }

    /**
     * The JVM options a worker spawned now gets: the archive once it exists, else none. An archive that is no
     * longer there (another server sharing the directory pruned it, {@link ArchiveCache}) is dropped, logged
     * once: later workers start without it until the server's next start makes it again. (It is only looked
     * at, never opened here: a FIFO planted in the workers' user's directory must not block a supervisor.)
     */
    List<String> jvmOptions() {
        if (!ready) {
            return List.of();
        }
        if (!Files.isRegularFile(archive, LinkOption.NOFOLLOW_LINKS)) {
            ready = false;
            log.log("class data archive " + archive + " is gone (pruned by another server?); workers start without"
                    + " it until the server's next start makes it again");
            return List.of();
        }
        // a worker that cannot map it anyway starts without it, silently: the check below rebuilds it
        return format.workerFlags(archive);
    }

    /** The kind of archive: the flags that make, map and check it. */
    ArchiveFormat format() {
        return format;
    }

    /**
     * If the archive is missing, makes it in the background with a training JVM. An existing one is checked in
     * the background by a JVM that must map it ({@link ArchiveFormat#checkFlags} and {@code -version}, as the workers' user, with their
     * flags and class path): a stale or unusable one is logged once, replaced, and workers start without it
     * until the new one exists. Marks an existing archive as used, and prunes the directory's other worker archives
     * ({@link ArchiveCache}: unused for {@link ArchiveCache#UNUSED_LIMIT}, or beyond the
     * {@link ArchiveCache#KEEP} most recently used).
     */
    public void createIfMissing() {
        if (archive == null) {
            return;
        }
        pruneUnused(archive.getParent());
        WorkerCommand commands = new WorkerCommand(config, this);
        List<String> trainingCommand = commands.training(List.of(format.trainingFlag(partialOf(archive))));
        List<String> checkCommand = commands.archiveCheck(archive);
        boolean exists = ready;
        Thread thread = new Thread(() -> {
            if (!exists || !usable(checkCommand)) {
                train(trainingCommand);
            }
        }, "prefork-class-data-archive");
        thread.setDaemon(true);
        thread.start();
    }

    private void train(List<String> trainingCommand) {
        long started = System.nanoTime();
        Path partial = partialOf(archive);
        try {
            Files.createDirectories(archive.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            // stdin stays a pipe from this JVM: the training JVM exits at its EOF, when the manager dies
            ProcessBuilder builder = new ProcessBuilder(trainingCommand).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            ChildEnvironment.clean(builder.environment());
            Process process = builder.start();
            training = process;
            if (!process.waitFor(TRAINING_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                log.log("class data archive: the training JVM took over " + TRAINING_LIMIT_SECONDS + " s; skipped");
            } else if (process.exitValue() == 0 && publish(partial, archive)) {
                ready = true;
                log.log("class data archive created in " + (System.nanoTime() - started) / 1_000_000 + " ms: "
                        + archive + " (workers spawned from now on use it)");
            } else {
                log.log("class data archive: the training JVM exited with " + process.exitValue() + "; skipped");
            }
        } catch (IOException e) {
            log.log("class data archive: " + e + "; skipped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            discard(partial);
        }
    }

    /**
     * Where a training run of this manager writes {@code archive} until it is complete: {@code NAME.jsa.PID.tmp}
     * beside it, the name {@link ArchiveCache#pruneLeftovers} reads the pid back from. Used by {@link ManagerArchive} too.
     */
    static Path partialOf(Path archive) {
        return archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    }

    /**
     * Moves a finished training run's archive into place in one step; false when the run left no regular file
     * there (a link is not one). Throws IOException when the move fails.
     */
    static boolean publish(Path partial, Path archive) throws IOException {
        if (!Files.isRegularFile(partial, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
    }

    /** Removes what a training run left at {@code partial}, if anything; one that cannot be removed is pruned later. */
    static void discard(Path partial) {
        try {
            Files.deleteIfExists(partial);
            Files.deleteIfExists(partial.resolveSibling(partial.getFileName() + ".config")); // an AOT cache's
        } catch (IOException ignored) {
            // ArchiveCache.pruneLeftovers removes it at a later start
        }
    }

    /** Removes the directory entry at {@code file} (a link or a FIFO is removed, never opened); failures are left. */
    static void removeName(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the rebuilt archive replaces it (an atomic move), or the next start looks again
        }
    }

    /**
     * Whether a JVM with the workers' flags maps the archive; if not, stops handing it out and says why, once.
     * What is there must be a regular file (a FIFO would block the JVM that opens it); the check JVM gets
     * {@link #TRAINING_LIMIT_SECONDS} to answer, and its output is read from its start on a thread of its own
     * ({@link OutputHead}), so a JVM that prints more than a pipe holds does not block, and neither a JVM that
     * hangs nor a process that keeps its pipe open (a wrapper script's JVM) can hold this thread.
     */
    private boolean usable(List<String> checkCommand) {
        if (!Files.isRegularFile(archive)) { // replaced since this server's start (a link to a file is one, as at start)
            ready = false;
            log.log("class data archive " + archive + " is not a regular file; workers start without it while it is"
                    + " rebuilt in the background");
            removeName(archive);
            return false;
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(checkCommand).redirectErrorStream(true);
            ChildEnvironment.clean(builder.environment());
            Process check = builder.start();
            training = check;
            OutputHead head = OutputHead.of(check, "prefork-class-data-archive-check");
            boolean answered = check.waitFor(TRAINING_LIMIT_SECONDS, TimeUnit.SECONDS);
            if (!answered) {
                check.descendants().forEach(ProcessHandle::destroyForcibly);
                check.destroyForcibly();
                check.waitFor(10, TimeUnit.SECONDS);
            }
            String output = head.text(OUTPUT_WAIT_MILLIS);
            String status;
            if (!answered) {
                status = "no answer in " + TRAINING_LIMIT_SECONDS + " s";
            } else if (check.exitValue() == 0) {
                ArchiveCache.markUsed(archive); // the directory may be the workers' user's: links are not followed
                return true;
            } else {
                status = "exit status " + check.exitValue();
            }
            ready = false;
            // the JVM's first words, without unified logging's decorations ([0.001s][warning][cds])
            String why = output.lines().map(line -> line.replaceFirst("^(\\[[^\\]]*\\])+\\s*", ""))
                    .filter(line -> !line.isBlank() && !line.startsWith("Error occurred")
                            && !line.startsWith("An error has occurred"))
                    .findFirst().orElse(status);
            log.log("class data archive " + archive + " cannot be used (" + why.strip()
                    + "); workers start without it while it is rebuilt in the background");
            Files.deleteIfExists(archive);
        } catch (IOException e) {
            ready = false;
            log.log("class data archive: cannot check " + archive + ": " + e + "; rebuilding it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
        return false;
    }

    private void pruneUnused(Path directory) {
        ArchiveCache.pruneLeftovers(directory, Instant.now(), log);
        ArchiveCache.prune(directory, "worker-*.{jsa,aot}", archive, Instant.now(), log);
    }

    /** The server has stopped: a training JVM still running is killed (it leaves no archive). */
    public void abandon() {
        Process process = training;
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // an AOT cache's assembly JVM
            process.destroyForcibly();
        }
    }

    static boolean jarsOnly(String classpath) {
        for (String entry : classpath.split(File.pathSeparator)) {
            if (!entry.endsWith(".jar") || !Files.isRegularFile(Path.of(entry))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A digest of what the archive depends on: the JDK, the java command, the worker flags, the child and its
     * properties, whether a listener is tls (the training then loads TLS), the workers' user, and every file the class path reads (the manifests' Class-Path jars too)
     * with its size and modification time, so that re-copied jars make a new archive.
     */
    private static String key(ServerConfig config, WorkerUser user) {
        StringBuilder text = new StringBuilder(System.getProperty("java.home")).append('\n')
                .append(Runtime.version()).append('\n').append(config.get(Options.JAVA_COMMAND)).append('\n')
                .append(config.workerJvmOptions()).append('\n').append(config.childClass()).append('\n')
                .append(config.childProperties()).append('\n').append(config.tls() == null ? "" : "tls\n");
        text.append(user == null ? "manager's user" : user.uid() + ":" + user.gid()).append('\n');
        for (Path entry : ClassPathJars.expand(config.classpath())) {
            File jar = entry.toFile();
            text.append(entry).append(' ').append(jar.length()).append(' ').append(jar.lastModified()).append('\n');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
