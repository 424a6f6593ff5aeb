package prefork.manager;

import java.nio.file.Path;
import java.util.List;
import prefork.Options;

/**
 * The two kinds of worker class data archive, and the JVM flags of each. {@link #JSA}: a dynamic AppCDS archive
 * on top of the JDK's own (a training run's {@code -XX:ArchiveClassesAtExit}, mapped with
 * {@code -XX:SharedArchiveFile}), on every JDK. {@link #AOT}: JDK 25's AOT cache (JEP 483 and 514: the training
 * run's {@code -XX:AOTCacheOutput}, in one step; mapped with {@code -XX:AOTCache}), whose classes are loaded and
 * linked before the worker's main runs: measured on JDK 25, a Clojure worker is ready in 142-165 ms against
 * 192-217 with the dynamic archive, a Java worker in the same 47-57 ms, at the same memory (BENCHMARKS.md). The
 * cache replaces the JDK's archive and refuses every {@code -Xshare} flag, so a JVM that makes or maps one runs
 * without the default {@code -Xshare:auto}.
 */
enum ArchiveFormat {
    JSA(".jsa"),
    AOT(".aot");

    private final String extension;

    ArchiveFormat(String extension) {
        this.extension = extension;
    }

    /**
     * AOT when the workers run this JVM's own java (another java's version is not known without starting it),
     * this JDK is 25 or later, and the worker flags name no class data option of their own but
     * {@code -Xshare:auto}; JSA otherwise.
     */
    static ArchiveFormat forWorkers(ServerConfig config) {
        boolean ownJava = NativeHeapTrim.runsThisJava(config.get(Options.JAVA_COMMAND));
        boolean ownChoice = config.workerJvmOptions().stream().anyMatch(flag -> !flag.equals("-Xshare:auto")
                && (flag.startsWith("-Xshare:") || flag.startsWith("-XX:SharedArchiveFile")
                        || flag.startsWith("-XX:ArchiveClassesAtExit") || flag.startsWith("-XX:AOT")
                        || flag.contains("AutoCreateSharedArchive") || flag.startsWith("-XX:SharedClassListFile")
                        || flag.startsWith("-XX:DumpLoadedClassList")));
        return ownJava && Runtime.version().feature() >= 25 && !ownChoice ? AOT : JSA;
    }

    /** The archive's file name for {@code key}: {@code worker-KEY.jsa} or {@code worker-KEY.aot}. */
    String fileName(String key) {
        return "worker-" + key + extension;
    }

    /** The flag that makes a training JVM write the archive to {@code partial} as it exits. */
    String trainingFlag(Path partial) {
        return this == AOT ? "-XX:AOTCacheOutput=" + partial : "-XX:ArchiveClassesAtExit=" + partial;
    }

    /** The flags of a worker that maps {@code archive}, its warnings off (a stale one is found by the check). */
    List<String> workerFlags(Path archive) {
        return this == AOT ? List.of("-XX:AOTCache=" + archive, "-Xlog:aot*=off", "-Xlog:cds*=off")
                : List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=off");
    }

    /** The flags of a JVM that must map {@code archive} or exit with an error. */
    List<String> checkFlags(Path archive) {
        return this == AOT ? List.of("-XX:AOTMode=on", "-XX:AOTCache=" + archive)
                : List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:on");
    }

    /** {@code workerFlags} as a JVM that makes or maps this kind of archive takes them. */
    List<String> compatible(List<String> workerFlags) {
        return this == AOT ? workerFlags.stream().filter(flag -> !flag.equals("-Xshare:auto")).toList() : workerFlags;
    }
}
