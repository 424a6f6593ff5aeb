package prefork.manager;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import prefork.InvalidOptionException;
import prefork.Options;
import prefork.worker.Worker;

/**
 * The workers' class path when the classpath option is not given. Usually that is this JVM's java.class.path.
 * A runner such as {@code mvn exec:java} loads the application from a class loader of its own, with its own
 * bootstrap jars on java.class.path: then the jars and directories of the context class loader (and of its
 * parents up to the system class loader) are added after java.class.path. A class the workers need (the child
 * class, prefork's worker) that comes from a loader that is not a URLClassLoader over files is refused, naming
 * the classpath option.
 */
final class WorkerClasspath {
    private WorkerClasspath() {}

    /**
     * java.class.path, then the file entries of the context class loader's chain below the system class loader;
     * throws InvalidOptionException (option classpath) when {@code childClass} or the worker's entry class would
     * not be on it.
     */
    static String infer(String childClass) {
        Set<String> entries = new LinkedHashSet<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        List<ClassLoader> covered = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (ClassLoader loader = context; loader != null && !isSystemOrAbove(loader); loader = loader.getParent()) {
            List<String> files = loader instanceof URLClassLoader urls ? files(urls) : null;
            if (files != null) {
                added.addAll(0, files); // a parent's classes win, so its entries come first
                covered.add(loader);
            }
        }
        entries.addAll(added);
        for (String needed : List.of(childClass, Worker.class.getName())) {
            ClassLoader source = definingLoader(needed, context);
            if (source != null && !isSystemOrAbove(source) && !covered.contains(source)) {
                throw new InvalidOptionException(Options.CLASSPATH, System.getProperty("java.class.path"),
                        "(the default: this JVM's java.class.path) does not have class " + needed + ", which is loaded"
                        + " by " + source + " (not a URLClassLoader over jars and directories): set classpath to"
                        + " the workers' class path");
            }
        }
        entries.remove("");
        return String.join(File.pathSeparator, entries);
    }

    /** The loader that defines {@code name} as {@code context} finds it, or null if it is not found. */
    private static ClassLoader definingLoader(String name, ClassLoader context) {
        try {
            return Class.forName(name, false, context).getClassLoader();
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** The loader's entries as paths, or null if one of them is not a file: URL. */
    private static List<String> files(URLClassLoader loader) {
        List<String> files = new ArrayList<>();
        for (URL url : loader.getURLs()) {
            if (!"file".equals(url.getProtocol())) {
                return null;
            }
            try {
                files.add(Path.of(url.toURI()).toString());
            } catch (URISyntaxException | IllegalArgumentException e) {
                return null;
            }
        }
        return files;
    }

    /** Whether {@code loader} is the system class loader or one of its parents (platform, bootstrap). */
    private static boolean isSystemOrAbove(ClassLoader loader) {
        for (ClassLoader system = ClassLoader.getSystemClassLoader(); system != null; system = system.getParent()) {
            if (system == loader) {
                return true;
            }
        }
        return false;
    }
}
