package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the clojure.test suite (test/clj) with the JUnit tests, one JUnit test per Clojure test var: real worker
 * JVMs, a real nREPL client. Fails if the namespaces hold fewer tests than expected (a suite that runs nothing
 * must not pass).
 */
@Timeout(600)
class ClojureSuiteIT {
    private static final String[] NAMESPACES = {"prefork.server-test", "prefork.nrepl-test", "prefork.demo-test",
        "prefork.redefine-test", "prefork.walkthrough-test", "prefork.operator-test", "prefork.tls-test"};
    private static final int AT_LEAST = 15; // the deftests in test/clj today

    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @TestFactory
    Stream<DynamicTest> clojureTests() {
        IFn require = Clojure.var("clojure.core", "require");
        IFn interns = Clojure.var("clojure.core", "ns-interns");
        IFn runTestVar = Clojure.var("clojure.test", "run-test-var");
        List<DynamicTest> tests = new ArrayList<>();
        for (String ns : NAMESPACES) {
            require.invoke(Clojure.read(ns));
            Map<?, ?> vars = (Map<?, ?>) interns.invoke(Clojure.read(ns));
            vars.values().stream().map(Var.class::cast)
                    .filter(v -> v.meta() != null && v.meta().valAt(Clojure.read(":test")) != null)
                    .sorted((a, b) -> a.toSymbol().toString().compareTo(b.toSymbol().toString()))
                    .forEach(v -> tests.add(DynamicTest.dynamicTest(v.toSymbol().toString(), () -> {
                        Map<?, ?> summary = (Map<?, ?>) runTestVar.invoke(v);
                        long bad = ((Number) summary.get(Clojure.read(":fail"))).longValue()
                                + ((Number) summary.get(Clojure.read(":error"))).longValue();
                        assertEquals(0L, bad, "clojure.test " + v + ": " + summary);
                        assertTrue(((Number) summary.get(Clojure.read(":pass"))).longValue() > 0,
                                v + " made no assertion");
                    })));
        }
        assertTrue(tests.size() >= AT_LEAST, "only " + tests.size() + " Clojure tests found in " + List.of(NAMESPACES));
        return tests.stream();
    }
}
