package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.PreforkServer;
import prefork.ServerBuilder;
import prefork.examples.EchoChild;

/** Which kind of class data archive the workers get, and the flags of each (the ITs check that the JVMs take them). */
@Timeout(30)
class ArchiveFormatTest {
    private static ArchiveFormat formatFor(ServerBuilder builder) {
        return ArchiveFormat.forWorkers(builder.validate());
    }

    @Test
    void jdk25AndLaterGetTheAotCacheWhenTheWorkersRunThisJava() {
        ArchiveFormat expected = Runtime.version().feature() >= 25 ? ArchiveFormat.AOT : ArchiveFormat.JSA;
        assertEquals(expected, formatFor(PreforkServer.builder(EchoChild.class)));
        assertEquals(expected, formatFor(PreforkServer.builder(EchoChild.class).workerJvmOptions(List.of("-Xshare:auto"))));
    }

    @Test
    void anotherJavaOrClassDataFlagsOfTheirOwnGetTheDynamicArchive() {
        // /usr/bin/java (Debian's alternatives link) is not this JVM's java.home path: its version is not known
        assertEquals(ArchiveFormat.JSA, formatFor(PreforkServer.builder(EchoChild.class).javaCommand("/usr/bin/java")));
        for (String flag : List.of("-Xshare:off", "-XX:SharedArchiveFile=/x.jsa", "-XX:AOTCache=/x.aot",
                "-XX:+AutoCreateSharedArchive")) {
            assertEquals(ArchiveFormat.JSA, formatFor(PreforkServer.builder(EchoChild.class)
                    .workerJvmOptions(List.of(flag))), flag);
        }
    }

    @Test
    void eachFormatNamesItsFileAndFlags() {
        java.nio.file.Path archive = java.nio.file.Path.of("/c/worker-k.aot");
        assertEquals("worker-k.aot", ArchiveFormat.AOT.fileName("k"));
        assertEquals("worker-k.jsa", ArchiveFormat.JSA.fileName("k"));
        assertEquals("-XX:AOTCacheOutput=/c/p", ArchiveFormat.AOT.trainingFlag(java.nio.file.Path.of("/c/p")));
        assertEquals("-XX:ArchiveClassesAtExit=/c/p", ArchiveFormat.JSA.trainingFlag(java.nio.file.Path.of("/c/p")));
        assertEquals(List.of("-XX:AOTMode=on", "-XX:AOTCache=/c/worker-k.aot"), ArchiveFormat.AOT.checkFlags(archive));
        List<String> flags = List.of("-Xmx64m", "-Xshare:auto", "-Dx=y");
        assertEquals(List.of("-Xmx64m", "-Dx=y"), ArchiveFormat.AOT.compatible(flags), "the AOT cache refuses -Xshare");
        assertEquals(flags, ArchiveFormat.JSA.compatible(flags));
    }
}
