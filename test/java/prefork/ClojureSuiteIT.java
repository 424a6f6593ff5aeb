package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the clojure.test suite (test/clj) with the JUnit tests: real worker JVMs, a real nREPL client. */
@Timeout(600)
class ClojureSuiteIT {
    @AfterEach
    void noProcessLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void clojureTestsPass() {
        IFn require = Clojure.var("clojure.core", "require");
        String[] namespaces = {"prefork.server-test", "prefork.nrepl-test", "prefork.demo-test"};
        for (String ns : namespaces) {
            require.invoke(Clojure.read(ns));
        }
        IFn runTests = Clojure.var("clojure.test", "run-tests");
        Object[] symbols = new Object[namespaces.length];
        for (int i = 0; i < namespaces.length; i++) {
            symbols[i] = Clojure.read(namespaces[i]);
        }
        Map<?, ?> summary = (Map<?, ?>) runTests.applyTo(clojure.lang.ArraySeq.create(symbols));
        Object failures = summary.get(Clojure.read(":fail"));
        Object errors = summary.get(Clojure.read(":error"));
        assertEquals(0L, ((Number) failures).longValue() + ((Number) errors).longValue(), "clojure.test: " + summary);
    }
}
