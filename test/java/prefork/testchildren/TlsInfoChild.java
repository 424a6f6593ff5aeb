package prefork.testchildren;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import prefork.BaseChild;

/** Reads one line and answers "pid=PID peer=SUBJECT|none line=LINE": which worker, and which client certificate. */
public class TlsInfoChild extends BaseChild {
    @Override
    protected void processRequest() throws Exception {
        String line = new BufferedReader(new InputStreamReader(conn().getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        List<X509Certificate> peer = peerCertificates();
        String answer = "pid=" + ProcessHandle.current().pid() + " peer="
                + (peer.isEmpty() ? "none" : peer.get(0).getSubjectX500Principal().getName()) + " line=" + line + "\n";
        conn().getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
        conn().getOutputStream().flush();
    }
}
