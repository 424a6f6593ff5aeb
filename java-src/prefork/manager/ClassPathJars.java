package prefork.manager;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Every file a class path really reads: each entry and, for a jar, the jars its manifest's Class-Path names
 * (relative to the jar's directory), recursively, each once, in the JVM's order. A class data archive is valid
 * only while all of them are unchanged.
 */
final class ClassPathJars {
    private ClassPathJars() {}

    /** The entries of {@code classpath} (absolute paths, ':'-separated) and every jar their manifests add. */
    static List<Path> expand(String classpath) {
        Set<Path> files = new LinkedHashSet<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                add(Path.of(entry).toAbsolutePath().normalize(), files);
            }
        }
        return new ArrayList<>(files);
    }

    private static void add(Path entry, Set<Path> files) {
        if (!files.add(entry) || !entry.toString().endsWith(".jar") || !Files.isRegularFile(entry)) {
            return;
        }
        for (String name : manifestClassPath(entry)) {
            if (!name.contains(":")) { // a URL such as file:/x.jar is left to the JVM
                add(entry.resolveSibling(name).normalize(), files);
            }
        }
    }

    private static List<String> manifestClassPath(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String value = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            return value == null || value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
        } catch (IOException e) {
            return List.of(); // not a readable jar: its size and time still go into the key
        }
    }
}
