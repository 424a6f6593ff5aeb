package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child class a worker could not instantiate is refused before anything is bound or spawned, with a message
 * naming the class and what is wrong with it.
 */
@Timeout(60)
class ChildClassShapeTest {
    private static class PrivateChild extends BaseChild {
        @SuppressWarnings("unused")
        PrivateChild() {}

        @Override
        protected void processRequest() {}
    }

    /** Not static: a worker has no instance of ChildClassShapeTest to make it with. */
    public class InnerChild extends BaseChild {
        @Override
        protected void processRequest() {}
    }

    public abstract static class AbstractChild extends BaseChild {}

    public static class ChildWithArguments extends BaseChild {
        public ChildWithArguments(int port) {
            if (port < 0) {
                throw new IllegalArgumentException();
            }
        }

        @Override
        protected void processRequest() {}
    }

    public static class ChildWithProtectedConstructor extends BaseChild {
        protected ChildWithProtectedConstructor() {}

        @Override
        protected void processRequest() {}
    }

    private static String refusal(Class<? extends BaseChild> child) {
        return assertThrows(IllegalArgumentException.class,
                () -> PreforkServer.builder(child).port(0).validate()).getMessage();
    }

    @Test
    void aPrivateClassIsRefused() {
        assertEquals("child class \"prefork.ChildClassShapeTest$PrivateChild\" is not public", refusal(PrivateChild.class));
    }

    @Test
    void anInnerClassIsRefused() {
        assertEquals("child class \"prefork.ChildClassShapeTest$InnerChild\" is an inner class: make it static"
                + " (a worker has no enclosing instance)", refusal(InnerChild.class));
    }

    @Test
    void anAbstractClassIsRefused() {
        assertEquals("child class \"prefork.ChildClassShapeTest$AbstractChild\" is abstract", refusal(AbstractChild.class));
    }

    @Test
    void aClassWithoutAPublicNoArgumentConstructorIsRefused() {
        assertEquals("child class \"prefork.ChildClassShapeTest$ChildWithArguments\" has no public no-argument"
                + " constructor", refusal(ChildWithArguments.class));
        assertEquals("child class \"prefork.ChildClassShapeTest$ChildWithProtectedConstructor\" has no public"
                + " no-argument constructor", refusal(ChildWithProtectedConstructor.class));
    }

    @Test
    void startRefusesItBeforeAnyWorkerIsSpawned() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PreforkServer.builder(AbstractChild.class).port(0).minServers(1).start());
        assertEquals("child class \"prefork.ChildClassShapeTest$AbstractChild\" is abstract", e.getMessage());
        assertTrue(Processes.children().isEmpty(), "nothing was spawned");
    }
}
