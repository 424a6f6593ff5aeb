package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import prefork.examples.EchoChild;
import prefork.manager.ServerConfig;

/** Bad options fail in validation, before anything is bound or spawned, naming the option and the value. */
class ServerBuilderTest {
    private static String refusal(UnaryOperator<ServerBuilder> options) {
        return assertThrows(IllegalArgumentException.class,
                () -> options.apply(PreforkServer.builder(EchoChild.class)).validate()).getMessage();
    }

    @Test
    void theModelsDefaults() {
        ServerConfig config = PreforkServer.builder(EchoChild.class).validate();
        assertEquals(PoolBounds.defaults(), config.bounds());
        assertEquals(0, config.get(Options.MAX_REQUESTS));
        assertEquals(List.of(ListenerSpec.parse("tcp://127.0.0.1:10000")), config.listeners());
        assertEquals(false, config.get(Options.REUSE_PORT));
    }

    @Test
    void clojureHandlersGetC1AfterTheDefaultsAndBeforeTheGivenFlags() {
        List<String> java = PreforkServer.builder(EchoChild.class).workerJvmOptions(List.of("-Xmx99m"))
                .validate().workerJvmOptions();
        assertTrue(!java.contains("-XX:TieredStopAtLevel=1"), "a Java child gets tiered C2: " + java);
        List<String> clojure = PreforkServer.builder(prefork.clojure.ClojureChild.class)
                .workerJvmOptions(List.of("-XX:TieredStopAtLevel=4")).validate().workerJvmOptions();
        assertEquals(List.of("-XX:TieredStopAtLevel=1", "-XX:TieredStopAtLevel=4"),
                clojure.subList(clojure.size() - 2, clojure.size()), "the given flag comes last, so it wins");
        List<String> replaced = PreforkServer.builder(prefork.clojure.ClojureChild.class)
                .workerJvmOptions(List.of("-Xmx99m")).workerJvmOptionsReplace(true).validate().workerJvmOptions();
        assertEquals(List.of("-Xmx99m"), replaced);
    }

    @Test
    @SuppressWarnings("deprecation")
    void refusesInconsistentOrOutOfRangeValues() {
        assertEquals("minServers=-1 is out of range: it must be between 0 and 500", refusal(b -> b.minServers(-1)));
        assertEquals("minServers=6 is greater than maxServers=3", refusal(b -> b.minServers(6).maxServers(3)));
        assertEquals("minSpareServers=4 is greater than maxSpareServers=3",
                refusal(b -> b.minSpareServers(4).maxSpareServers(3)));
        assertEquals("port=70000 is out of range: it must be between 0 and 65535", refusal(b -> b.port(70000)));
        assertEquals("maxRequests=-5 is out of range: it must be between 0 and 4611686018427387903",
                refusal(b -> b.maxRequests(-5)));
        assertEquals("protocol=\"sctp\" is unknown: use tcp, tls, udp or unix", refusal(b -> b.protocol("sctp")));
        assertEquals("listen=0 is out of range: it must be between 1 and 65535", refusal(b -> b.listen(0)));
        assertEquals("timeout=PT-1S must be a number of seconds between 0 and 315360000", refusal(b -> b.timeout(Duration.ofSeconds(-1))));
        assertEquals("gracefulTimeout=PT2562047788015H12M55S must be a number of seconds between 0 and 315360000",
                refusal(b -> b.gracefulTimeout(Duration.ofSeconds(Long.MAX_VALUE / 1000))));
        assertEquals("javaCommand=\"/usr\" is not an executable file", refusal(b -> b.javaCommand("/usr")));
        assertEquals("bindIp=\"no.such.host.invalid\" is not a known address or host",
                refusal(b -> b.bindIp("no.such.host.invalid")));
        assertEquals("reusePort=true is supported for tcp and tls listeners only, not udp://127.0.0.1:7000",
                refusal(b -> b.reusePort(true).addListener("udp://127.0.0.1:7000")));
        assertEquals("unixPath=null is needed for protocol unix", refusal(b -> b.protocol("unix")));
        assertEquals("unixMode=\"rw\" is not an octal file mode like 660",
                refusal(b -> b.protocol("unix").unixPath("/tmp/x.sock").unixMode("rw")));
        assertEquals("addListener=\"sctp:/x\" is not tcp://host:port, tls://host:port, udp://host:port or unix:/path",
                refusal(b -> b.addListener("sctp:/x")));
    }

    @Test
    @SuppressWarnings("deprecation")
    void acceptModesAndTheDeprecatedReusePortAlias() {
        ServerConfig shared = PreforkServer.builder(EchoChild.class).validate();
        assertEquals("shared", shared.get(Options.ACCEPT_MODE));
        assertTrue(!shared.reusePort() && !shared.dispatch());
        assertTrue(PreforkServer.builder(EchoChild.class).reusePort(true).validate().reusePort());
        assertTrue(PreforkServer.builder(EchoChild.class).acceptMode("reuse-port").reusePort(true).validate().reusePort());
        ServerConfig dispatch = PreforkServer.builder(EchoChild.class).acceptMode("dispatch").validate();
        assertTrue(dispatch.dispatch() && !dispatch.reusePort());
        assertEquals("queue", dispatch.get(Options.OVERLOAD));
        assertEquals(Duration.ofSeconds(2), dispatch.get(Options.DISPATCH_TIMEOUT));
        assertEquals("acceptMode=\"fork\" is unknown: use shared or reuse-port or dispatch",
                refusal(b -> b.acceptMode("fork")));
        assertEquals("reusePort=true cannot be used with acceptMode=\"dispatch\"",
                refusal(b -> b.reusePort(true).acceptMode("dispatch")));
        assertEquals("acceptMode=\"reuse-port\" is supported for tcp and tls listeners only, not unix:/tmp/x.sock",
                refusal(b -> b.acceptMode("reuse-port").addListener("unix:/tmp/x.sock")));
        assertEquals("overload=\"drop\" is unknown: use queue or close", refusal(b -> b.overload("drop")));
        assertEquals("dispatchTimeout=PT0S must be above zero", refusal(b -> b.dispatchTimeout(Duration.ZERO)));
    }

    @Test
    void refusesAChildClassThatIsMissingOrNotABaseChild() {
        assertEquals("child class \"nope.Missing\" was not found on the classpath",
                assertThrows(IllegalArgumentException.class,
                        () -> PreforkServer.builder("nope.Missing").validate()).getMessage());
        assertEquals("child class \"java.lang.String\" does not extend prefork.BaseChild",
                assertThrows(IllegalArgumentException.class,
                        () -> PreforkServer.builder("java.lang.String").validate()).getMessage());
    }

    @Test
    void plusServersClampsToValidBounds() {
        PoolBounds bounds = new PoolBounds(1, 2, 0, 1);
        assertEquals(new PoolBounds(2, 3, 0, 1), bounds.plusServers(1));
        assertEquals(new PoolBounds(0, 1, 0, 1), bounds.plusServers(-1).plusServers(-1).plusServers(-1));
    }
}
