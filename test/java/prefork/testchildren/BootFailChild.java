package prefork.testchildren;

import prefork.BaseChild;

/** A child whose initialize always throws: its workers can never boot. */
public class BootFailChild extends BaseChild {
    @Override
    protected void initialize() {
        throw new IllegalStateException("initialize refuses to boot");
    }

    @Override
    protected void processRequest() {}
}
