package prefork;

import org.junit.jupiter.api.AfterEach;

/**
 * Base of the tests that start one {@link LaunchedManager} per test in {@link #manager}: after each test it is
 * closed (with every worker it spawned) and no child of the test JVM may be left.
 */
abstract class WithLaunchedManager {
    LaunchedManager manager;

    @AfterEach
    void closeManagerAndCheckNoProcessLeft() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
        Processes.assertNoChildren();
    }
}
