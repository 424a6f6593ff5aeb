package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class ArchiveCacheTest {
    private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
    private final List<String> logged = new ArrayList<>();

    @TempDir
    Path cache;

    @Test
    void keepsTheMostRecentlyUsedAndTheCurrentOne() throws IOException {
        for (int i = 0; i < 20; i++) { // worker-00 used 0 hours ago ... worker-19 19 hours ago
            archive(String.format("worker-%02d.jsa", i), Duration.ofHours(i));
        }
        Path current = archive("worker-current.aot", Duration.ofDays(3)); // the oldest of all, yet in use now
        Path manager = archive("manager-1.jsa", Duration.ofHours(30)); // another kind: not counted, not removed

        List<Path> removed = ArchiveCache.prune(cache, "worker-*.{jsa,aot}", current, NOW, logged::add);

        assertEquals(Set.of("worker-15.jsa", "worker-16.jsa", "worker-17.jsa", "worker-18.jsa", "worker-19.jsa"),
                names(removed));
        assertEquals(ArchiveCache.KEEP, names(list()).stream().filter(n -> n.startsWith("worker-")).count());
        assertTrue(Files.exists(current));
        assertTrue(Files.exists(manager));
        assertEquals(5, logged.size());
        assertTrue(logged.get(0).contains("beyond the 16 of its kind used most recently"), logged.get(0));
    }

    @Test
    void removesWhatNoServerUsedFor14Days() throws IOException {
        archive("worker-a.jsa", Duration.ofDays(13));
        archive("worker-b.aot", Duration.ofDays(15));
        archive("worker-c.jsa.123.tmp", Duration.ofDays(30)); // a partial archive: pruneLeftovers' business

        List<Path> removed = ArchiveCache.prune(cache, "worker-*.{jsa,aot}", null, NOW, logged::add);

        assertEquals(Set.of("worker-b.aot"), names(removed));
        assertEquals(Set.of("worker-a.jsa", "worker-c.jsa.123.tmp"), names(list()));
        assertTrue(logged.get(0).endsWith("unused for 14 days"), logged.get(0));
    }

    @Test
    void unfinishedTrainingRunsOfEitherKindAreRemovedUnlessTheirManagerStillRunsForLessThanADay() throws IOException {
        long self = ProcessHandle.current().pid(), gone = 999_999_999L; // above any pid_max: never a live process
        archive("manager-k.jsa." + gone + ".tmp", Duration.ofMinutes(1));
        archive("worker-k.aot." + gone + ".tmp.config", Duration.ofMinutes(1));
        archive("worker-k.jsa." + self + ".tmp", Duration.ofMinutes(1)); // this manager's training, under way
        archive("manager-old.jsa." + self + ".tmp", Duration.ofDays(2)); // the pid was reused since
        archive("manager-k.jsa", Duration.ofDays(2)); // a finished archive: prune's business
        ArchiveCache.pruneLeftovers(cache, NOW, logged::add);
        assertEquals(Set.of("worker-k.jsa." + self + ".tmp", "manager-k.jsa"), names(list()));
        assertEquals(3, logged.stream().filter(l -> l.contains("left by a training run that did not finish")).count());
    }

    @Test
    void aPlantedLinkIsRemovedNotFollowed() throws IOException {
        Path outside = Files.createTempFile("prefork-archive-cache-target", ".txt");
        try {
            Path link = Files.createSymbolicLink(cache.resolve("worker-link.jsa"), outside);
            Files.setLastModifiedTime(outside, FileTime.from(NOW)); // the target looks fresh, the link is old
            Files.getFileAttributeView(link, java.nio.file.attribute.BasicFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS).setTimes(FileTime.from(NOW.minus(Duration.ofDays(20))), null, null);

            assertEquals(Set.of("worker-link.jsa"), names(ArchiveCache.prune(cache, "worker-*.jsa", null, NOW,
                    logged::add)));
            assertTrue(Files.exists(outside));
            assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void aMissingDirectoryRemovesNothing() {
        assertEquals(List.of(), ArchiveCache.prune(cache.resolve("absent"), "worker-*.jsa", null, NOW, logged::add));
        assertEquals(List.of(), logged);
    }

    @Test
    void markingAReadOnlyArchiveUsedMakesItTheNewest() throws IOException {
        Path archive = Files.writeString(cache.resolve("manager-2.jsa"), "archive");
        Files.setLastModifiedTime(archive, FileTime.from(Instant.EPOCH));
        Files.setPosixFilePermissions(archive, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
        Instant before = Instant.now().minusSeconds(1);
        ArchiveCache.markUsed(archive);
        assertTrue(Files.getLastModifiedTime(archive).toInstant().isAfter(before));
    }

    @Test
    void directoriesAreNotArchives() throws IOException {
        Files.createDirectory(cache.resolve("worker-dir.jsa"));
        Files.setLastModifiedTime(cache.resolve("worker-dir.jsa"), FileTime.from(Instant.EPOCH));
        assertEquals(List.of(), ArchiveCache.prune(cache, "worker-*.jsa", null, NOW, logged::add));
        assertTrue(Files.isDirectory(cache.resolve("worker-dir.jsa")));
    }

    private Path archive(String name, Duration unusedFor) throws IOException {
        Path file = Files.writeString(cache.resolve(name), "archive");
        Files.setLastModifiedTime(file, FileTime.from(NOW.minus(unusedFor)));
        return file;
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.toList();
        }
    }

    private static Set<String> names(List<Path> files) {
        return files.stream().map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
}
