/* Addresses as strings: eddy formats IP addresses itself (musl's inet_ntop would pull
 * in printf), in the forms Node v20 prints. The table is Node's output for each input
 * (`new net.SocketAddress({address, family: 'ipv6'}).address`); the last test compares
 * eddy with glibc's inet_ntop, whose formatter libuv's (so Node's) follows, on generated
 * addresses rich in zero groups. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <net/if.h>
#include <stdint.h>
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
        {"::102:304", "::1.2.3.4"},                    /* IPv4-compatible */
        {"::ffff:0:0", "::ffff:0.0.0.0"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"}, /* the longest run */
        {"1:0:0:0:2:0:0:3", "1::2:0:0:3"}, /* the first of the longest */
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
    static const char *const cases[] = {"0.0.0.0", "127.0.0.1", "10.200.3.45",
                                        "255.255.255.255", "1.0.10.100"};
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
