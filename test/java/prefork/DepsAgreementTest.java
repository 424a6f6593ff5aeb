package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clojure.java.api.Clojure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** pom.xml is the source of truth for dependency versions; deps.edn must agree with it. */
class DepsAgreementTest {
    @Test
    void depsEdnUsesThePomsVersions() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Map<?, ?> deps = (Map<?, ?>) Clojure.var("clojure.edn", "read-string").invoke(Files.readString(Path.of("deps.edn")));
        Map<?, ?> libs = (Map<?, ?>) deps.get(Clojure.read(":deps"));
        assertEquals(pomProperty(pom, "clojure.version"), version(libs, "org.clojure/clojure"));
        assertEquals(pomProperty(pom, "jnr-posix.version"), version(libs, "com.github.jnr/jnr-posix"));
        assertEquals(pomProperty(pom, "nrepl.version"), version(libs, "nrepl/nrepl"));
        assertEquals(pomProperty(pom, "prometheus.version"), version(libs, "io.prometheus/prometheus-metrics-core"));
        assertEquals(pomProperty(pom, "prometheus.version"),
                version(libs, "io.prometheus/prometheus-metrics-exporter-httpserver"));
        assertEquals(5, libs.size(), "deps.edn has exactly the pom's runtime dependencies: " + libs.keySet());
        Map<?, ?> build = (Map<?, ?>) ((Map<?, ?>) deps.get(Clojure.read(":aliases"))).get(Clojure.read(":build"));
        assertEquals(pomProperty(pom, "tools.build.version"),
                version((Map<?, ?>) build.get(Clojure.read(":deps")), "io.github.clojure/tools.build"),
                "the :build alias (the prep step) uses the tools.build DepsEdnIT checks it with");
        assertTrue(Files.exists(Path.of("dev/build/build.clj")), "the prep-lib build script exists");
    }

    private static String version(Map<?, ?> libs, String lib) {
        Map<?, ?> coordinate = (Map<?, ?>) libs.get(Clojure.read(lib));
        return (String) coordinate.get(Clojure.read(":mvn/version"));
    }

    private static String pomProperty(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertTrue(m.find(), "pom.xml property " + name);
        return m.group(1);
    }
}
