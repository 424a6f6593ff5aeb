package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where the class data archive of workers that run as another user (the user option; the manager is root)
 * lives: {@code CACHE/uid-N}, owned by that user with mode 0700, since the training JVM that writes the archive
 * and the workers that map it run as that user. The cache directory, when the manager creates it, gets mode
 * 0711, so that the user can pass through it without listing it; every directory above must let the user pass
 * as well (judged from the modes, for the user's uid and gid; ACLs and supplementary groups are not read), which
 * root's own {@code ~/.cache/prefork} (under /root, 0700) does not: then the archive is not used, and the log
 * says which directory stops the user.
 */
final class WorkerArchiveDirectory {
    private WorkerArchiveDirectory() {}

    /** The archive directory of {@code user}'s workers under {@code cache}. */
    static Path of(Path cache, WorkerUser user) {
        return cache.resolve("uid-" + user.uid());
    }

    /**
     * Makes {@code cache} (0711) and the user's directory in it (0700, the user's) when missing. Returns null
     * when the user can reach its directory, else why not ("the workers' user nobody (uid 65534) cannot pass
     * through /root (rwx------)"). Throws IOException when a directory cannot be made or examined.
     */
    static String prepare(Path cache, WorkerUser user) throws IOException {
        if (!Files.exists(cache, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(cache);
            Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwx--x--x"));
        }
        String why = ClassDataArchive.whyUntrusted(cache);
        if (why != null) {
            return cache + " " + why;
        }
        for (Path step = cache.toRealPath(); step != null; step = step.getParent()) {
            if (!passes(step, user)) {
                return "the workers' user " + user.name() + " (uid " + user.uid() + ") cannot pass through " + step
                        + " (" + PosixFilePermissions.toString(Files.getPosixFilePermissions(step)) + ")";
            }
        }
        Path directory = of(cache, user);
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setAttribute(directory, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(directory, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
        }
        return null;
    }

    /** Whether {@code user} may search the directory {@code path}, by its owner, group and mode bits. */
    private static boolean passes(Path path, WorkerUser user) throws IOException {
        java.util.Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,uid,gid");
        int bit = (Integer) attributes.get("uid") == user.uid() ? 0100 : (Integer) attributes.get("gid") == user.gid() ? 0010 : 0001;
        return ((Integer) attributes.get("mode") & bit) != 0;
    }
}
