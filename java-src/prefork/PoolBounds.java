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

    /** Throws IllegalArgumentException naming the option and value when the bounds are inconsistent. */
    public PoolBounds {
        requireRange("minServers", minServers, 0, MAX_SERVERS_LIMIT);
        requireRange("maxServers", maxServers, 1, MAX_SERVERS_LIMIT);
        requireRange("minSpareServers", minSpareServers, 0, MAX_SERVERS_LIMIT);
        requireRange("maxSpareServers", maxSpareServers, 0, MAX_SERVERS_LIMIT);
        if (minServers > maxServers) {
            throw new IllegalArgumentException(
                    "minServers=" + minServers + " is greater than maxServers=" + maxServers);
        }
        if (minSpareServers > maxSpareServers) {
            throw new IllegalArgumentException("minSpareServers=" + minSpareServers
                    + " is greater than maxSpareServers=" + maxSpareServers);
        }
    }

    /** The same bounds with minServers and maxServers moved by {@code delta} (TTIN/TTOU), clamped to valid values. */
    public PoolBounds plusServers(int delta) {
        int max = Math.max(1, Math.min(MAX_SERVERS_LIMIT, maxServers + delta));
        int min = Math.max(0, Math.min(max, minServers + delta));
        return new PoolBounds(min, max, minSpareServers, maxSpareServers);
    }

    static void requireRange(String option, long value, long low, long high) {
        if (value < low || value > high) {
            throw new IllegalArgumentException(
                    option + "=" + value + " is out of range: it must be between " + low + " and " + high);
        }
    }
}
