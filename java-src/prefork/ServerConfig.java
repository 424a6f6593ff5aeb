package prefork;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The validated options of one server; built only by {@link ServerBuilder#validate()}. */
record ServerConfig(
        String childClass,
        Map<String, String> childProperties,
        PoolBounds bounds,
        long maxRequests,
        long maxRequestsJitter,
        InetAddress bindIp,
        int port,
        String protocol,
        int listen,
        boolean reusePort,
        Duration timeout,
        Duration gracefulTimeout,
        Duration startTimeout,
        String javaCommand,
        String classpath,
        List<String> workerJvmOptions,
        ManagerHooks hooks,
        Log log,
        boolean handleSignals) {

    boolean udp() {
        return protocol.equals("udp");
    }
}
