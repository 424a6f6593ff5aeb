package prefork.manager;

import java.util.function.Supplier;
import prefork.ServerStats;

/** What a pool's supervisor tells the server about itself, on the supervisor thread; each call must be quick. */
public interface PoolEvents {
    PoolEvents NONE = new PoolEvents() {};

    /** One turn of the supervisor loop has run; {@code stats} makes a snapshot of the pool (call it sparingly). */
    default void turn(Supplier<ServerStats> stats) {}

    /** minServers workers of {@code generation} (2 and up: after a reload) are ready; the older ones are stopped. */
    default void generationReady(long generation) {}
}
