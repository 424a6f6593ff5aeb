package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class NativeHeapTrimTest {
    @Test
    void onlyJdksWithTheFlagGetIt() {
        for (String version : List.of("17.0.11", "17.0.15+6", "21.0.3", "22", "25.0.3")) {
            assertTrue(NativeHeapTrim.supported(Runtime.Version.parse(version)), version);
        }
        for (String version : List.of("17", "17.0.10", "18.0.2", "19", "20.0.1", "21", "21.0.2")) {
            assertFalse(NativeHeapTrim.supported(Runtime.Version.parse(version)), version);
        }
    }

    @Test
    void anotherJavaGetsNoFlagsItMightRefuse() {
        assertEquals(List.of(), NativeHeapTrim.flags("/opt/some-other-jdk/bin/java"));
        String own = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        assertEquals(NativeHeapTrim.supported(Runtime.version()), !NativeHeapTrim.flags(own).isEmpty());
    }
}
