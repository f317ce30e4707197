/* Addresses as strings: eddy formats IP addresses itself (musl's inet_ntop would pull
 * in printf), in the forms Node v20 prints. The table is Node's output for each input
 * (`new net.SocketAddress({address, family: 'ipv6'}).address`); the last test compares
 * eddy with glibc's inet_ntop, whose formatter libuv's (so Node's) follows, on generated
 * addresses rich in zero groups. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/net_internal.h"

static const char *format6(const char *literal, uint32_t scope, eddy_address *out)
{
    eddy__sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.in6.sin6_family = AF_INET6;
    sa.in6.sin6_port = htons(8124);
    sa.in6.sin6_scope_id = scope;
    cr_assert_eq(inet_pton(AF_INET6, literal, &sa.in6.sin6_addr), 1, "%s", literal);
    eddy__address_from_sockaddr(out, &sa, sizeof sa.in6);
    return out->address;
}

Test(address, ipv6_is_printed_as_node_prints_it)
{
    static const struct {
        const char *in, *node;
    } cases[] = {
        {"0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"}, /* IPv4-mapped */
        {"::102:304", "::1.2.3.4"},                   /* IPv4-compatible */
        {"::ffff:0:0", "::ffff:0.0.0.0"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},      /* the longest run */
        {"1:0:0:0:2:0:0:3", "1::2:0:0:3"},      /* the first of the longest */
        {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"}, /* one zero group stays */
        {"0:0:0:0:ffff:0:1:2", "::ffff:0:1:2"},
        {"0:0:0:0:0:1:2:3", "::1:2:3"},
        {"fe80:0:0:0:0:0:0:1", "fe80::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eddy_address a;
        cr_expect_str_eq(format6(cases[i].in, 0, &a), cases[i].node, "%s", cases[i].in);
        cr_expect_str_eq(a.family, "IPv6");
        cr_expect_eq(a.port, 8124);
    }
}

Test(address, ipv4_is_dotted_decimal)
{
    static const char *const cases[] = {"0.0.0.0", "127.0.0.1", "10.200.3.45", "255.255.255.255",
                                        "1.0.10.100"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eddy__sockaddr sa;
        memset(&sa, 0, sizeof sa);
        sa.in4.sin_family = AF_INET;
        sa.in4.sin_port = htons(80);
        cr_assert_eq(inet_pton(AF_INET, cases[i], &sa.in4.sin_addr), 1);
        eddy_address a;
        eddy__address_from_sockaddr(&a, &sa, sizeof sa.in4);
        cr_expect_str_eq(a.address, cases[i]);
        cr_expect_str_eq(a.family, "IPv4");
        cr_expect_eq(a.port, 80);
    }
}

Test(address, a_zone_without_an_interface_name_is_its_number)
{
    /* No interface has this index: Node prints the number after the '%'. */
    uint32_t scope = 4000000000u;
    char name[IF_NAMESIZE];
    cr_assert_null(if_indextoname(scope, name));
    eddy_address a;
    cr_expect_str_eq(format6("fe80::1", scope, &a), "fe80::1%4000000000");
    /* The loopback interface has a name: it is used. */
    unsigned lo = if_nametoindex("lo");
    if (lo) {
        cr_expect_str_eq(format6("fe80::2", lo, &a), "fe80::2%lo");
    }
}

Test(address, ipv6_matches_the_classic_formatter_on_generated_addresses)
{
    uint32_t x = 2463534242u; /* xorshift32: the same addresses every run */
    for (int n = 0; n < 50000; n++) {
        struct in6_addr in;
        for (int g = 0; g < 8; g++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            /* Mostly zeros, so that runs of every length and position occur, some
             * 0xffff (the mapped prefix) and small and large values. */
            unsigned pick = x % 8, v = (x >> 8) & 0xffff;
            unsigned word = pick < 4 ? 0 : pick == 4 ? 0xffff : pick == 5 ? (v & 0xf) : v;
            in.s6_addr[2 * g] = (uint8_t)(word >> 8);
            in.s6_addr[2 * g + 1] = (uint8_t)word;
        }
        char want[INET6_ADDRSTRLEN];
        cr_assert_not_null(inet_ntop(AF_INET6, &in, want, sizeof want));
        eddy__sockaddr sa;
        memset(&sa, 0, sizeof sa);
        sa.in6.sin6_family = AF_INET6;
        sa.in6.sin6_addr = in;
        eddy_address a;
        eddy__address_from_sockaddr(&a, &sa, sizeof sa.in6);
        cr_assert_str_eq(a.address, want);
    }
}

/* ---- parsing: the library reads IP literals with eddy_is_ip's own pass (isip.c), not
 * inet_pton, whose answers it must give on everything Node calls an IP. ---- */

static int parse(const char *literal, eddy__sockaddr *sa)
{
    socklen_t len;
    return eddy__sockaddr_from_host(sa, &len, literal, 80, false, false);
}

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

Test(address, ipv6_literals_in_every_written_form_give_their_bytes)
{
    uint32_t x = 88172645u;
    for (int n = 0; n < 20000; n++) {
        struct in6_addr in;
        for (int g = 0; g < 8; g++) {
            unsigned pick = xorshift(&x) % 8, v = (x >> 8) & 0xffff;
            unsigned word = pick < 4 ? 0 : pick == 4 ? 0xffff : v;
            in.s6_addr[2 * g] = (uint8_t)(word >> 8);
            in.s6_addr[2 * g + 1] = (uint8_t)word;
        }
        char forms[4][64];
        cr_assert_not_null(inet_ntop(AF_INET6, &in, forms[0], sizeof forms[0]));
        unsigned w[8];
        for (int g = 0; g < 8; g++)
            w[g] = (unsigned)in.s6_addr[2 * g] << 8 | in.s6_addr[2 * g + 1];
        snprintf(forms[1], sizeof forms[1], "%x:%x:%x:%x:%x:%x:%x:%x", w[0], w[1], w[2], w[3], w[4],
                 w[5], w[6], w[7]);
        snprintf(forms[2], sizeof forms[2], "%04X:%04X:%04X:%04X:%04X:%04X:%04x:%04x", w[0], w[1],
                 w[2], w[3], w[4], w[5], w[6], w[7]);
        snprintf(forms[3], sizeof forms[3], "%x:%x:%x:%x:%x:%x:%u.%u.%u.%u", w[0], w[1], w[2], w[3],
                 w[4], w[5], in.s6_addr[12], in.s6_addr[13], in.s6_addr[14], in.s6_addr[15]);
        for (int f = 0; f < 4; f++) {
            eddy__sockaddr sa;
            cr_assert_eq(parse(forms[f], &sa), 0, "%s", forms[f]);
            cr_assert_eq(sa.in6.sin6_family, AF_INET6);
            cr_assert_eq(memcmp(&sa.in6.sin6_addr, &in, 16), 0, "%s", forms[f]);
        }
    }
}

Test(address, literals_agree_with_inet_pton_on_generated_strings)
{
    /* Strings over the alphabet of IP literals, short enough that valid ones are common:
     * eddy takes one exactly when inet_pton does, and reads the same bytes. */
    static const char alphabet[] = "0123456789abcdefABCDEF::::...";
    uint32_t x = 1234567u;
    int accepted = 0;
    for (int n = 0; n < 300000; n++) {
        char s[24];
        size_t len = 1 + xorshift(&x) % 20;
        for (size_t i = 0; i < len; i++)
            s[i] = alphabet[xorshift(&x) % (sizeof alphabet - 1)];
        s[len] = '\0';
        /* Half of them pass through a "::" or a dotted shape more often. */
        if (n % 2)
            memcpy(s + (xorshift(&x) % len), "::", len > 1 ? 2 : 1);
        s[len] = '\0';
        unsigned char want[16];
        int v4 = inet_pton(AF_INET, s, want) == 1;
        int v6 = !v4 && inet_pton(AF_INET6, s, want) == 1;
        eddy__sockaddr sa;
        int rc = parse(s, &sa);
        cr_assert_eq(rc == 0, v4 || v6, "%s: eddy %d, inet_pton %d/%d", s, rc, v4, v6);
        if (v4)
            cr_assert_eq(memcmp(&sa.in4.sin_addr, want, 4), 0, "%s", s);
        if (v6)
            cr_assert_eq(memcmp(&sa.in6.sin6_addr, want, 16), 0, "%s", s);
        accepted += v4 || v6;
    }
    cr_assert_gt(accepted, 1000, "only %d valid literals were generated", accepted);
}

Test(address, literals_node_rejects_are_not_addresses)
{
    /* Node's grammar, not inet_pton's leniencies: these are names (or errors). */
    static const char *const cases[] = {
        "01.2.3.4",
        "1.2.3",
        "1.2.3.4.",
        "256.1.1.1",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8",
        "12345::",
        ":1::",
        "1:",
        "::1%",
        "::1%a b",
        "1.2.3.4%eth0",
        "",
        "::ffff:1.2.3",
        "1:2:3:4:5:6:7:1.2.3.4",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        eddy__sockaddr sa;
        cr_expect_eq(parse(cases[i], &sa), -EINVAL, "%s", cases[i]);
    }
    eddy__sockaddr sa;
    cr_assert_eq(parse("fe80::1%2", &sa), 0);
    cr_expect_eq(sa.in6.sin6_scope_id, 2);
    /* A zone may name an interface (Node passes it to if_nametoindex, as eddy does with
     * the resolver built): the loopback's name gives its index. */
    unsigned lo = if_nametoindex("lo");
    if (lo) {
        cr_assert_eq(parse("fe80::1%lo", &sa), 0);
        cr_expect_eq(sa.in6.sin6_scope_id, lo);
    }
    cr_assert_eq(parse("::", &sa), 0);
    cr_assert_eq(parse("1:2:3:4:5:6:7::", &sa), 0);
    cr_expect_eq(sa.in6.sin6_addr.s6_addr[13], 7);
    cr_expect_eq(sa.in6.sin6_addr.s6_addr[15], 0);
}
