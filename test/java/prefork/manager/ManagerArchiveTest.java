package prefork.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The manager archive's training command: the options it keeps of the manager's, the arguments it adds. */
class ManagerArchiveTest {
    @Test
    void theTrainingJvmGetsTheManagersOptionsLessThoseAboutArchivesAndLogging() {
        assertEquals(List.of("-Xmx64m", "-Dother=1"), ManagerArchive.archiveNeutral(List.of(
                "-XX:SharedArchiveFile=/c/m.jsa", "-Xlog:cds*=off", "-Dprefork.managerArchive=/c/m.jsa", "-Xmx64m",
                "-Xshare:auto", "-XX:+AutoCreateSharedArchive", "-XX:ArchiveClassesAtExit=/x", "-Dother=1",
                "-Xlog:class+load=info:file=/tmp/x")));
    }

    @Test
    void theTrainingRunTakesTheConfiguredUserAndGroup() {
        assertEquals(List.of(), ManagerArchive.trainingArguments(null, null));
        assertEquals(List.of("--user", "nobody", "--group", "nogroup"), ManagerArchive.trainingArguments("nobody", "nogroup"));
        assertEquals(List.of("--user", "nobody"), ManagerArchive.trainingArguments("nobody", null));
    }
}
