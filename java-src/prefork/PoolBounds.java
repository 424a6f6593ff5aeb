package prefork;

/**
 * The pool's size limits: total workers within [minServers, maxServers], idle ones within
 * [minSpareServers, maxSpareServers] (the model's and Net::Server's meaning).
 */
public record PoolBounds(int minServers, int maxServers, int minSpareServers, int maxSpareServers) {
    /** The largest pool the scoreboard can hold, leaving room for a reload's second generation. */
    public static final int MAX_SERVERS_LIMIT = 500;

    /** The model's defaults: minServers 5, maxServers 20, minSpareServers 2, maxSpareServers 10. */
    public static PoolBounds defaults() {
        return new PoolBounds(5, 20, 2, 10);
    }

    /** Throws InvalidOptionException naming the option and value when the bounds are inconsistent. */
    public PoolBounds {
        Options.MIN_SERVERS.check(minServers);
        Options.MAX_SERVERS.check(maxServers);
        Options.MIN_SPARE_SERVERS.check(minSpareServers);
        Options.MAX_SPARE_SERVERS.check(maxSpareServers);
        if (minServers > maxServers) {
            throw new InvalidOptionException(Options.MIN_SERVERS, minServers, "is greater than %s",
                    Options.MAX_SERVERS, maxServers);
        }
        if (minSpareServers > maxSpareServers) {
            throw new InvalidOptionException(Options.MIN_SPARE_SERVERS, minSpareServers, "is greater than %s",
                    Options.MAX_SPARE_SERVERS, maxSpareServers);
        }
    }

    /** The same bounds with minServers and maxServers moved by {@code delta} (TTIN/TTOU), clamped to valid values. */
    public PoolBounds plusServers(int delta) {
        int max = Math.max(1, Math.min(MAX_SERVERS_LIMIT, maxServers + delta));
        int min = Math.max(0, Math.min(max, minServers + delta));
        return new PoolBounds(min, max, minSpareServers, maxSpareServers);
    }

}
