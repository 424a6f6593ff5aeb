package prefork.testchildren;

import prefork.examples.PidChild;

/** A PidChild whose initialize takes the child property "boot-ms" milliseconds (default 0). */
public class SlowBootChild extends PidChild {
    @Override
    protected void initialize() throws Exception {
        String millis = property("boot-ms");
        Thread.sleep(millis == null ? 0 : Long.parseLong(millis));
    }
}
