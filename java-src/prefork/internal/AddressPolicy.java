package prefork.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Who may connect: allow and deny lists of CIDR blocks (IPv4 and IPv6, Net::Server's {@code cidr_allow} and
 * {@code cidr_deny}) and a limit of connections open at once from one address. One policy, whoever applies it:
 * a worker right after accept (shared and reuse-port modes), the manager before it hands a connection on.
 *
 * <p>The rule: a denied address is refused; otherwise, when the allow list is not empty, only an address in it
 * is admitted; with both lists empty every address is. An IPv4 client reaching a dual-stack socket is matched
 * as IPv4 (the JDK turns {@code ::ffff:a.b.c.d} into an IPv4 address). Connections without an address (Unix
 * sockets) are always admitted. Immutable.
 */
public final class AddressPolicy {
    /** What {@link #check} decided. */
    public enum Verdict {
        /** Serve it. */
        ADMIT,
        /** The address is denied, or not in a non-empty allow list. */
        REFUSED,
        /** The address already has the most connections it may have open. */
        LIMITED
    }

    /** No list, no limit: admits everything. */
    public static final AddressPolicy OPEN = new AddressPolicy(List.of(), List.of(), 0);

    private final List<Cidr> allow;
    private final List<Cidr> deny;
    private final int maxPerAddress;

    private AddressPolicy(List<Cidr> allow, List<Cidr> deny, int maxPerAddress) {
        this.allow = List.copyOf(allow);
        this.deny = List.copyOf(deny);
        this.maxPerAddress = maxPerAddress;
    }

    /**
     * The policy of {@code allow} and {@code deny} (CIDR texts, see {@link Cidr#parse}) and at most
     * {@code maxPerAddress} connections per address (0 = no limit). Throws IllegalArgumentException for a bad
     * CIDR (the reason names it) or a negative limit.
     */
    public static AddressPolicy of(List<String> allow, List<String> deny, int maxPerAddress) {
        if (maxPerAddress < 0) {
            throw new IllegalArgumentException("the per-address limit must be 0 or more, not " + maxPerAddress);
        }
        List<Cidr> allowed = new ArrayList<>(), denied = new ArrayList<>();
        allow.forEach(text -> allowed.add(Cidr.parse(text)));
        deny.forEach(text -> denied.add(Cidr.parse(text)));
        return allowed.isEmpty() && denied.isEmpty() && maxPerAddress == 0 ? OPEN
                : new AddressPolicy(allowed, denied, maxPerAddress);
    }

    /** Whether this policy admits everything (then nobody needs to ask it). */
    public boolean open() {
        return allow.isEmpty() && deny.isEmpty() && maxPerAddress == 0;
    }

    /** Whether the lists admit {@code address}; true for null (a Unix-socket peer). */
    public boolean allows(InetAddress address) {
        if (address == null) {
            return true;
        }
        for (Cidr block : deny) {
            if (block.contains(address)) {
                return false;
            }
        }
        if (allow.isEmpty()) {
            return true;
        }
        for (Cidr block : allow) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** The most connections one address may have open at once; 0 = no limit. */
    public int maxPerAddress() {
        return maxPerAddress;
    }

    /** Whether {@code openIncludingThisOne} connections from one address are within the limit. */
    public boolean withinLimit(int openIncludingThisOne) {
        return maxPerAddress == 0 || openIncludingThisOne <= maxPerAddress;
    }

    /**
     * Decides on a new connection from {@code address} (null: Unix socket, admitted). {@code openFrom} counts the
     * connections from an address that are open now, this one included; it is called only when there is a limit
     * and the lists admit the address.
     */
    public Verdict check(InetAddress address, ToIntFunction<InetAddress> openFrom) {
        if (address == null) {
            return Verdict.ADMIT;
        }
        if (!allows(address)) {
            return Verdict.REFUSED;
        }
        return maxPerAddress == 0 || withinLimit(openFrom.applyAsInt(address)) ? Verdict.ADMIT : Verdict.LIMITED;
    }

    /** The allow list as CIDR texts (normalized: {@code 10.0.0.0/8}, {@code ::1/128}). */
    public List<String> allowList() {
        return allow.stream().map(Cidr::toString).toList();
    }

    /** The deny list as CIDR texts. */
    public List<String> denyList() {
        return deny.stream().map(Cidr::toString).toList();
    }

    @Override
    public String toString() {
        return "allow " + allowList() + ", deny " + denyList() + ", max per address " + maxPerAddress;
    }

    /** An address block: the first {@code prefix} bits of {@code network}. */
    public static final class Cidr {
        private final byte[] network;
        private final int prefix;

        private Cidr(byte[] network, int prefix) {
            this.network = network;
            this.prefix = prefix;
        }

        /**
         * Parses {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a single address ({@code 127.0.0.1} is
         * {@code /32}, {@code ::1} is {@code /128}); only literals, never a host name. Throws
         * IllegalArgumentException with the reason (the caller names the option and value): a bad address, a
         * prefix out of range, or host bits set beyond the prefix.
         */
        public static Cidr parse(String text) {
            String trimmed = text.trim();
            int slash = trimmed.indexOf('/');
            String host = slash < 0 ? trimmed : trimmed.substring(0, slash);
            boolean v6 = host.indexOf(':') >= 0;
            if (host.isEmpty() || !(v6 ? host.matches("[0-9A-Fa-f:.]+") : host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))) {
                throw new IllegalArgumentException("is not a CIDR block like 10.0.0.0/8 or 2001:db8::/32");
            }
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(host).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("is not a CIDR block like 10.0.0.0/8 or 2001:db8::/32");
            }
            int bits = bytes.length * 8;
            int prefix = bits;
            if (slash >= 0) {
                String digits = trimmed.substring(slash + 1);
                if (!digits.matches("[0-9]{1,3}")) {
                    throw new IllegalArgumentException("has a bad prefix length after /");
                }
                prefix = Integer.parseInt(digits) - (v6 && bytes.length == 4 ? 96 : 0); // ::ffff:a.b.c.d/n
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("has a prefix length out of range: it must be 0 to "
                            + (v6 && bytes.length == 16 ? 128 : 32));
                }
            }
            Cidr block = new Cidr(bytes, prefix);
            for (int bit = prefix; bit < bits; bit++) {
                if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                    throw new IllegalArgumentException("has bits set after the prefix: the block is "
                            + block.masked());
                }
            }
            return block;
        }

        /** Whether {@code address} is in this block (an IPv4 block holds only IPv4 addresses, and so on). */
        public boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length != network.length) {
                return false;
            }
            int whole = prefix / 8;
            for (int i = 0; i < whole; i++) {
                if (bytes[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (bytes[whole] & mask) == (network[whole] & mask);
        }

        private Cidr masked() {
            byte[] bytes = network.clone();
            for (int bit = prefix; bit < bytes.length * 8; bit++) {
                bytes[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
            }
            return new Cidr(bytes, prefix);
        }

        @Override
        public String toString() {
            try {
                InetAddress address = InetAddress.getByAddress(network);
                String text = address.getHostAddress();
                return (address instanceof Inet4Address ? text : text.replaceAll("%.*", "")) + "/" + prefix;
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
