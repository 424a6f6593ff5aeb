package prefork;

import java.nio.file.Path;
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
        List<ListenerSpec> listeners,
        int listen,
        boolean reusePort,
        String unixMode,
        Duration timeout,
        Duration gracefulTimeout,
        Duration startTimeout,
        String javaCommand,
        String classpath,
        List<String> workerJvmOptions,
        ManagerHooks hooks,
        Log log,
        boolean handleSignals,
        Path pidFile,
        Path cacheDirectory) {
}
