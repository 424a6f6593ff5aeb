package prefork;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import prefork.manager.AccessLogFile;
import prefork.manager.ClassDataArchive;
import prefork.manager.ListenerPool;
import prefork.manager.PidFile;
import prefork.manager.Pools;
import prefork.manager.Reaper;
import prefork.manager.ServerConfig;
import prefork.manager.SignalHandlers;
import prefork.manager.SocketActivation;
import prefork.manager.SystemdNotify;
import prefork.manager.UpgradeHandover;

/** How a {@link PreforkServer} starts, in the order of the model's hooks; {@link ServerBuilder#start()} calls it. */
final class ServerStartup {
    private ServerStartup() {}

    /**
     * Binds every listener (or takes the sockets systemd passed: {@link SocketActivation}) and the control plane,
     * runs the start hooks, spawns the pools and waits for them, then tells systemd (READY=1) when NOTIFY_SOCKET
     * is set; on any failure closes everything and rethrows. The new manager of an upgrade ({@link
     * UpgradeHandover}) binds the control plane and metrics and writes the pid file last, once the old manager
     * has released them.
     */
    static PreforkServer start(ServerConfig given) throws IOException {
        prefork.internal.Native.preload(); // listeners and spawning need it; it loads while the rest is prepared
        UpgradeHandover handover = UpgradeHandover.fromEnvironment(given.log());
        ServerConfig config = handover.ports(given);
        ManagerHooks hooks = config.hooks();
        List<ListenerPool> pools = new ArrayList<>();
        PidFile pidFile = PidFile.check(config.get(Options.PID_FILE), handover.parent());
        ClassDataArchive archive = ClassDataArchive.forConfig(config);
        List<SocketActivation.InheritedSocket> inherited = SocketActivation.take(config);
        SystemdNotify notify = SystemdNotify.fromEnvironment(config.log());
        PreforkServer server = null;
        AccessLogFile accessLog = AccessLogFile.open(config);
        try {
            startHook(hooks::preBind);
            Pools.open(config, inherited, archive, accessLog, pools);
            server = new PreforkServer(config, pools, pidFile, archive, accessLog, notify);
            PreforkServer handle = server;
            if (!handover.active()) {
                server.endpoints.open();
            }
            startHook(() -> hooks.postBind(handle));
            startHook(() -> hooks.preSignalSetup(handle));
            if (config.get(Options.HANDLE_SIGNALS)) {
                server.restoreSignals = SignalHandlers.install(server, hooks);
            }
            startHook(() -> hooks.postSignalSetup(handle));
            startHook(() -> hooks.preInitChildren(handle));
            pools.forEach(pool -> pool.start(handle, handle.notifier.pool()));
            if (handover.active()) {
                server.endpoints.prepare(); // while the workers boot
            }
            for (ListenerPool pool : pools) {
                pool.awaitReady(config.get(Options.START_TIMEOUT));
            }
            startHook(() -> hooks.postInitChildren(handle));
            for (ListenerPool pool : pools) {
                config.log().log("serving " + String.join(", ", pool.specs().stream().map(ListenerSpec::toString)
                        .toList()) + " with " + config.bounds().minServers() + " workers ready");
            }
            archive.createIfMissing();
            prefork.manager.ManagerArchive.refreshInBackground(config);
            server.reaper = Reaper.startIfPidOne(() -> handle.workers().stream().map(WorkerInfo::pid)
                    .collect(java.util.stream.Collectors.toSet()), config.log());
            if (server.isTerminated()) {
                server.reaper.close();
            }
            server.notifier.ready(server.stats());
            server.endpoints.takeOver(handover);
            server.upgrade.started();
            return server;
        } catch (IOException | RuntimeException | Error e) {
            handover.abandon();
            pools.forEach(ListenerPool::abort);
            inherited.forEach(socket -> socket.listener().close());
            notify.close();
            pidFile.remove();
            if (server != null) {
                server.endpoints.close();
                server.restoreSignals.run();
            }
            if (accessLog != null) {
                accessLog.close();
            }
            throw e;
        }
    }

    private static void startHook(prefork.manager.HookRunner.Body body) throws IOException {
        try {
            body.run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("a start hook failed: " + e, e);
        }
    }
}
