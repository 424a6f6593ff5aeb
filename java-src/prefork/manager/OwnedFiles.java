package prefork.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Whether a file may be trusted by this process: owned by its effective user and writable by no one else. */
final class OwnedFiles {
    private OwnedFiles() {}

    /** This process's effective uid (the owner of /proc/self). */
    static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /**
     * Null when {@code file} is owned by this process's user and neither group nor others may write it (a
     * symbolic link must be this user's too, and its target is judged); otherwise why not ("is owned by uid
     * 65534, ...", "is writable by others (rwxrwxrwx)"). Throws IOException when it cannot be examined.
     */
    static String whyUntrusted(Path file) throws IOException {
        return whyUntrusted(file, ownUid());
    }

    /**
     * The same, with the files of {@code alsoTrusted} (a uid: the workers' user, whose own JVMs make and map
     * the file) trusted too.
     */
    static String whyUntrusted(Path file, int alsoTrusted) throws IOException {
        int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != ownUid() && owner != alsoTrusted) {
            return "is owned by uid " + owner + ", not by this user (uid " + ownUid() + ")"
                    + (alsoTrusted == ownUid() ? "" : " or the workers' (uid " + alsoTrusted + ")");
        }
        if (Files.isSymbolicLink(file)) {
            String target = whyUntrusted(file.toRealPath(), alsoTrusted);
            return target == null ? null : "is a link to " + file.toRealPath() + ", which " + target;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (permissions.contains(PosixFilePermission.GROUP_WRITE) || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            return "is writable by others (" + java.nio.file.attribute.PosixFilePermissions.toString(permissions) + ")";
        }
        return null;
    }
}
