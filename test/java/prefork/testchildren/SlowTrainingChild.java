package prefork.testchildren;

import prefork.examples.EchoChild;

/** An echo child whose class data training run takes two minutes, so a test can kill its manager during it. */
public class SlowTrainingChild extends EchoChild {
    @Override
    protected void prepareForArchive() throws Exception {
        Thread.sleep(120_000);
    }
}
