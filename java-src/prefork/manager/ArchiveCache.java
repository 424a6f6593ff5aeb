package prefork.manager;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import prefork.Log;

/**
 * The class data archives of one cache directory: which to keep. An archive's modification time is when a
 * server last used it ({@link #markUsed}). Every jar, JDK or worker flag set makes an archive of its own (5–25
 * MB), so a developer who rebuilds all day would fill the directory; an archive is removed when no server has
 * used it for {@link #UNUSED_LIMIT}, or when it is not among the {@link #KEEP} of its kind used most recently
 * (the one in use counts among them, however old). Only files and links are looked at; links are removed,
 * never followed: the directory may be another user's (the workers').
 */
final class ArchiveCache {
    static final Duration UNUSED_LIMIT = Duration.ofDays(14);
    static final int KEEP = 16;

    private ArchiveCache() {}

    /**
     * Removes, from {@code directory}, the partial archives of training runs that did not finish
     * ({@code worker-KEY.jsa.PID.tmp}, the manager's {@code manager-KEY.jsa.PID.tmp}, and an AOT cache's
     * {@code .tmp.config}): those whose manager PID is gone, or that are older than a day at {@code now} (the pid
     * was reused). Logs each; a missing or unreadable directory, or a file that cannot be removed, is left.
     * The workers' and the manager's archives may live in different directories (with a user of their own).
     */
    static void pruneLeftovers(Path directory, Instant now, Log log) {
        FileTime limit = FileTime.from(now.minus(Duration.ofDays(1)));
        try (DirectoryStream<Path> partials = Files.newDirectoryStream(directory, "*.{jsa,aot}.*.tmp{,.config}")) {
            for (Path partial : partials) {
                String name = partial.getFileName().toString();
                int at = Math.max(name.lastIndexOf(".jsa."), name.lastIndexOf(".aot.")) + 5;
                String pid = name.substring(at, name.indexOf(".tmp", at));
                boolean running = pid.matches("\\d{1,18}")
                        && ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
                try {
                    if (!running || Files.getLastModifiedTime(partial, LinkOption.NOFOLLOW_LINKS).compareTo(limit) < 0) {
                        Files.deleteIfExists(partial);
                        log.log("class data archive: removed " + partial + ", left by a training run that did not finish");
                    }
                } catch (IOException e) {
                    // removed meanwhile, or not ours to remove: the next start looks again
                }
            }
        } catch (IOException | DirectoryIteratorException ignored) {
            // no cache directory yet, or not readable: nothing to prune
        }
    }

    /**
     * Removes the archives matching {@code glob} (e.g. {@code worker-*.{jsa,aot}}) in {@code directory} that are
     * older than {@link #UNUSED_LIMIT} at {@code now} or beyond the {@link #KEEP} most recently used, never
     * {@code current} (the archive the caller is about to use), and logs each. Returns the removed files; a
     * missing or unreadable directory removes nothing.
     */
    static List<Path> prune(Path directory, String glob, Path current, Instant now, Log log) {
        List<Path> archives = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(directory, glob)) {
            found.forEach(archives::add);
        } catch (IOException | DirectoryIteratorException e) {
            return List.of(); // no cache directory yet, or not readable: nothing to prune
        }
        List<Used> newestFirst = new ArrayList<>();
        for (Path archive : archives) {
            try {
                BasicFileAttributes file = Files.readAttributes(archive, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (!archive.equals(current) && (file.isRegularFile() || file.isSymbolicLink())) {
                    newestFirst.add(new Used(archive, file.lastModifiedTime()));
                }
            } catch (IOException e) {
                // removed meanwhile
            }
        }
        newestFirst.sort(Comparator.comparing(Used::time).reversed());
        int kept = current == null ? 0 : 1;
        FileTime limit = FileTime.from(now.minus(UNUSED_LIMIT));
        List<Path> removed = new ArrayList<>();
        for (Used archive : newestFirst) {
            boolean stale = archive.time().compareTo(limit) < 0;
            if (!stale && kept < KEEP) {
                kept++;
                continue;
            }
            try {
                if (Files.deleteIfExists(archive.file())) {
                    removed.add(archive.file());
                    log.log("class data archive: removed " + archive.file() + (stale ? ", unused for " + UNUSED_LIMIT.toDays() + " days"
                            : ", beyond the " + KEEP + " of its kind used most recently"));
                }
            } catch (IOException e) {
                // another user's, or removed meanwhile: left for a later start
            }
        }
        return removed;
    }

    private record Used(Path file, FileTime time) {}

    /** Marks {@code archive} as used now, without following a link planted in its place. */
    static void markUsed(Path archive) throws IOException {
        Files.getFileAttributeView(archive, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(Instant.now()), null, null);
    }
}
