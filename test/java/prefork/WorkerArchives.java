package prefork;

/**
 * What the workers' class data archive looks like on the JDK running the tests (prefork's ArchiveFormat): an AOT
 * cache ({@code worker-KEY.aot}, mapped with {@code -XX:AOTCache=}) on JDK 25 and later, a dynamic AppCDS archive
 * ({@code worker-KEY.jsa}, {@code -XX:SharedArchiveFile=}) before.
 */
final class WorkerArchives {
    static final boolean AOT = Runtime.version().feature() >= 25;
    /** The archive file's extension, with its dot. */
    static final String SUFFIX = AOT ? ".aot" : ".jsa";
    /** The flag of a worker that maps the archive, up to its "=". */
    static final String FLAG = AOT ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=";

    private WorkerArchives() {}
}
