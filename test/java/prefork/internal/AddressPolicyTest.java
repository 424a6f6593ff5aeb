package prefork.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressPolicyTest {
    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void blocksMatchTheirOwnFamilyOnly() throws Exception {
        AddressPolicy.Cidr ten = AddressPolicy.Cidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(ip("10.255.1.2")));
        assertFalse(ten.contains(ip("11.0.0.1")));
        assertFalse(ten.contains(ip("::1")));
        AddressPolicy.Cidr doc = AddressPolicy.Cidr.parse("2001:db8::/32");
        assertTrue(doc.contains(ip("2001:db8:ffff::1")));
        assertFalse(doc.contains(ip("2001:db9::1")));
        assertFalse(doc.contains(ip("10.0.0.1")));
        assertTrue(AddressPolicy.Cidr.parse("192.168.1.0/25").contains(ip("192.168.1.127")));
        assertFalse(AddressPolicy.Cidr.parse("192.168.1.0/25").contains(ip("192.168.1.128")));
        assertTrue(AddressPolicy.Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
        assertEquals("127.0.0.1/32", AddressPolicy.Cidr.parse("127.0.0.1").toString());
        assertTrue(AddressPolicy.Cidr.parse("::1").contains(ip("::1")));
        assertTrue(AddressPolicy.Cidr.parse("::ffff:10.0.0.0/104").contains(ip("10.1.2.3")), "a mapped block is IPv4");
    }

    @Test
    void badBlocksAreRefusedWithTheReason() {
        assertEquals("has bits set after the prefix: the block is 10.0.0.0/8",
                assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("10.0.0.1/8")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("::/129"));
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("example.com/8"));
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("10.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse("10.0.0.0/"));
        assertThrows(IllegalArgumentException.class, () -> AddressPolicy.Cidr.parse(""));
    }

    @Test
    void denyWinsAnAllowListAdmitsOnlyItsBlocksAndTheLimitCountsThisConnection() throws Exception {
        AddressPolicy policy = AddressPolicy.of(List.of("127.0.0.0/8", "::1/128"), List.of("127.0.0.2/32"), 2);
        assertEquals(AddressPolicy.Verdict.ADMIT, policy.check(ip("127.0.0.1"), a -> 2));
        assertEquals(AddressPolicy.Verdict.LIMITED, policy.check(ip("127.0.0.1"), a -> 3));
        assertEquals(AddressPolicy.Verdict.REFUSED, policy.check(ip("127.0.0.2"), a -> 1));
        assertEquals(AddressPolicy.Verdict.REFUSED, policy.check(ip("10.0.0.1"), a -> 1));
        assertEquals(AddressPolicy.Verdict.ADMIT, policy.check(ip("::1"), a -> 1));
        assertEquals(AddressPolicy.Verdict.ADMIT, policy.check(null, a -> 99), "a Unix-socket peer");
        assertTrue(AddressPolicy.of(List.of(), List.of("::1"), 0).allows(ip("127.0.0.1")), "only deny: the rest is allowed");
        assertTrue(AddressPolicy.of(List.of(), List.of(), 0).open());
        assertFalse(policy.open());
        assertEquals(List.of("127.0.0.0/8", "0:0:0:0:0:0:0:1/128"), policy.allowList());
        AddressPolicy copy = AddressPolicy.of(policy.allowList(), policy.denyList(), policy.maxPerAddress());
        assertEquals(policy.toString(), copy.toString(), "the texts parse back (worker arguments)");
    }
}
