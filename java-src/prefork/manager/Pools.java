package prefork.manager;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import prefork.ListenerSpec;
import prefork.Protocol;

/**
 * Makes a server's pools from its listeners (bound here, or inherited through socket activation): one pool per
 * listener, except in dispatch mode, where every stream listener (TCP, IPv6, Unix) shares one pool, placed
 * where the first stream listener is, and each UDP listener keeps a pool of its own.
 */
public final class Pools {
    private Pools() {}

    /**
     * Adds the pools to {@code into} in listener order, so that a failure leaves in it what the caller must
     * abort; an inherited socket not yet in a pool is closed by the caller too. Throws what binding throws.
     */
    public static void open(ServerConfig config, List<SocketActivation.InheritedSocket> inherited,
            ClassDataArchive archive, AccessLogFile accessLog, List<ListenerPool> into) throws IOException {
        if (!config.dispatch()) {
            if (inherited.isEmpty()) {
                for (ListenerSpec spec : config.listeners()) {
                    into.add(ListenerPool.open(config, spec, archive, accessLog));
                }
            }
            for (SocketActivation.InheritedSocket socket : inherited) {
                into.add(ListenerPool.adopt(config, socket.listener(), socket.spec(), archive, accessLog));
            }
            return;
        }
        List<NativeListener> streams = new ArrayList<>();
        List<ListenerSpec> streamSpecs = new ArrayList<>();
        int streamPoolAt = -1;
        try {
            List<ListenerSpec> specs = inherited.isEmpty() ? config.listeners()
                    : inherited.stream().map(SocketActivation.InheritedSocket::spec).toList();
            for (int i = 0; i < specs.size(); i++) {
                ListenerSpec spec = specs.get(i);
                NativeListener inheritedListener = inherited.isEmpty() ? null : inherited.get(i).listener();
                if (spec.protocol() == Protocol.UDP) {
                    into.add(inheritedListener == null ? ListenerPool.open(config, spec, archive, accessLog)
                            : ListenerPool.adopt(config, inheritedListener, spec, archive, accessLog));
                    continue;
                }
                NativeListener listener = inheritedListener != null ? inheritedListener
                        : ListenerPool.bindForDispatch(config, spec);
                streams.add(listener);
                streamSpecs.add(inheritedListener != null ? spec : ListenerPool.bound(listener, spec));
                if (streamPoolAt < 0) {
                    streamPoolAt = into.size();
                }
            }
            if (!streams.isEmpty()) {
                List<NativeListener> handed = List.copyOf(streams);
                streams.clear(); // from here the pool closes them, even when it fails
                into.add(streamPoolAt, ListenerPool.dispatching(config, handed, streamSpecs, archive, accessLog));
            }
        } finally {
            streams.forEach(NativeListener::close);
        }
    }
}
