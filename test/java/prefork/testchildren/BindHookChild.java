package prefork.testchildren;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import prefork.BaseChild;

/** Records in which process the bind hooks ran, and replies "<pid> <preBind pid> <postBind pid>". */
public class BindHookChild extends BaseChild {
    private long preBindPid;
    private long postBindPid;

    @Override
    protected void preBind() {
        preBindPid = ProcessHandle.current().pid();
    }

    @Override
    protected void postBind() {
        postBindPid = ProcessHandle.current().pid();
    }

    @Override
    protected void processRequest() throws Exception {
        String reply = ProcessHandle.current().pid() + " " + preBindPid + " " + postBindPid + "\n";
        channel().write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
    }
}
