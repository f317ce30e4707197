/* eddy_is_ip, eddy_is_ipv4, eddy_is_ipv6 answer what Node v20's net.isIP, isIPv4 and
 * isIPv6 answer. The tables reproduce Node's own tests (test/parallel/test-net-isip.js,
 * test-net-isipv4.js, test-net-isipv6.js); the last test compares eddy with a running node
 * on generated strings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/net.h"
#include "node_runner.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct ip_case {
    const char *input;
    int family; /* what net.isIP returns */
};

/* test-net-isip.js (the string inputs; null and undefined are tested with NULL). */
static const struct ip_case node_isip_cases[] = {
    {"127.0.0.1", 4},
    {"x127.0.0.1", 0},
    {"example.com", 0},
    {"0000:0000:0000:0000:0000:0000:0000:0000", 6},
    {"0000:0000:0000:0000:0000:0000:0000:0000::0000", 0},
    {"1050:0:0:0:5:600:300c:326b", 6},
    {"2001:252:0:1::2008:6", 6},
    {"2001:dead:beef:1::2008:6", 6},
    {"2001::", 6},
    {"2001:dead::", 6},
    {"2001:dead:beef::", 6},
    {"2001:dead:beef:1::", 6},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6},
    {":2001:252:0:1::2008:6:", 0},
    {":2001:252:0:1::2008:6", 0},
    {"2001:252:0:1::2008:6:", 0},
    {"2001:252::1::2008:6", 0},
    {"::2001:252:1:2008:6", 6},
    {"::2001:252:1:1.1.1.1", 6},
    {"::2001:252:1:255.255.255.255", 6},
    {"::2001:252:1:255.255.255.255.76", 0},
    {"::anything", 0},
    {"::1", 6},
    {"::", 6},
    {"0000:0000:0000:0000:0000:0000:12345:0000", 0},
    {"0", 0},
    {"", 0},
    {"bla", 0},
};

/* test-net-isipv4.js */
static const char *const node_v4[] = {
    "0.0.0.0",        "8.8.8.8",        "127.0.0.1",    "100.100.100.100",
    "192.168.0.1",    "18.101.25.153",  "123.23.34.2",  "172.26.168.134",
    "212.58.241.131", "128.0.0.0",      "23.71.254.72", "223.255.255.255",
    "192.0.2.235",    "99.198.122.146", "46.51.197.88", "173.194.34.134",
};

static const char *const node_v4_not[] = {
    ".100.100.100.100", "100..100.100.100.",   "100.100.100.100.",     "999.999.999.999",
    "256.256.256.256",  "256.100.100.100.100", "123.123.123",          "http://123.123.123",
    "1000.2.3.4",       "999.2.3.4",           "0000000192.168.0.200", "192.168.0.2000000000",
};

/* test-net-isipv6.js */
static const char *const node_v6[] = {
    "::",
    "1::",
    "::1",
    "1::8",
    "1::7:8",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6::8",
    "1:2:3:4:5:6:7::",
    "1:2:3:4:5::7:8",
    "1:2:3:4:5::8",
    "1:2:3::8",
    "1::4:5:6:7:8",
    "1::6:7:8",
    "1::3:4:5:6:7:8",
    "1:2:3:4::6:7:8",
    "1:2::4:5:6:7:8",
    "::2:3:4:5:6:7:8",
    "1:2::8",
    "2001:0000:1234:0000:0000:C1C0:ABCD:0876",
    "3ffe:0b00:0000:0000:0001:0000:0000:000a",
    "FF02:0000:0000:0000:0000:0000:0000:0001",
    "0000:0000:0000:0000:0000:0000:0000:0001",
    "0000:0000:0000:0000:0000:0000:0000:0000",
    "::ffff:192.168.1.26",
    "2::10",
    "ff02::1",
    "fe80::",
    "2002::",
    "2001:db8::",
    "2001:0db8:1234::",
    "::ffff:0:0",
    "::ffff:192.168.1.1",
    "1:2:3:4::8",
    "1::2:3:4:5:6:7",
    "1::2:3:4:5:6",
    "1::2:3:4:5",
    "1::2:3:4",
    "1::2:3",
    "::2:3:4:5:6:7",
    "::2:3:4:5:6",
    "::2:3:4:5",
    "::2:3:4",
    "::2:3",
    "::8",
    "1:2:3:4:5:6::",
    "1:2:3:4:5::",
    "1:2:3:4::",
    "1:2:3::",
    "1:2::",
    "1:2:3:4::7:8",
    "1:2:3::7:8",
    "1:2::7:8",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5::1.2.3.4",
    "1:2:3:4::1.2.3.4",
    "1:2:3::1.2.3.4",
    "1:2::1.2.3.4",
    "1::1.2.3.4",
    "1:2:3:4::5:1.2.3.4",
    "1:2:3::5:1.2.3.4",
    "1:2::5:1.2.3.4",
    "1::5:1.2.3.4",
    "1::5:11.22.33.44",
    "fe80::217:f2ff:254.7.237.98",
    "fe80::217:f2ff:fe07:ed62",
    "2001:DB8:0:0:8:800:200C:417A",
    "FF01:0:0:0:0:0:0:101",
    "0:0:0:0:0:0:0:1",
    "0:0:0:0:0:0:0:0",
    "2001:DB8::8:800:200C:417A",
    "FF01::101",
    "0:0:0:0:0:0:13.1.68.3",
    "0:0:0:0:0:FFFF:129.144.52.38",
    "::13.1.68.3",
    "::FFFF:129.144.52.38",
    "fe80:0000:0000:0000:0204:61ff:fe9d:f156",
    "fe80:0:0:0:204:61ff:fe9d:f156",
    "fe80::204:61ff:fe9d:f156",
    "fe80:0:0:0:204:61ff:254.157.241.86",
    "fe80::204:61ff:254.157.241.86",
    "fe80::1",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2001:db8:85a3:0:0:8a2e:370:7334",
    "2001:db8:85a3::8a2e:370:7334",
    "2001:0db8:0000:0000:0000:0000:1428:57ab",
    "2001:0db8:0000:0000:0000::1428:57ab",
    "2001:0db8:0:0:0:0:1428:57ab",
    "2001:0db8:0:0::1428:57ab",
    "2001:0db8::1428:57ab",
    "2001:db8::1428:57ab",
    "::ffff:12.34.56.78",
    "::ffff:0c22:384e",
    "2001:0db8:1234:0000:0000:0000:0000:0000",
    "2001:0db8:1234:ffff:ffff:ffff:ffff:ffff",
    "2001:db8:a::123",
    "::ffff:192.0.2.128",
    "::ffff:c000:280",
    "a:b:c:d:e:f:f1:f2",
    "a:b:c::d:e:f:f1",
    "a:b:c::d:e:f",
    "a:b:c::d:e",
    "a:b:c::d",
    "::a",
    "::a:b:c",
    "::a:b:c:d:e:f:f1",
    "a::",
    "a:b:c::",
    "a:b:c:d:e:f:f1::",
    "a:bb:ccc:dddd:000e:00f:0f::",
    "0:a:0:a:0:0:0:a",
    "0:a:0:0:a:0:0:a",
    "2001:db8:1:1:1:1:0:0",
    "2001:db8:1:1:1:0:0:0",
    "2001:db8:1:1:0:0:0:0",
    "2001:db8:1:0:0:0:0:0",
    "2001:db8:0:0:0:0:0:0",
    "2001:0:0:0:0:0:0:0",
    "A:BB:CCC:DDDD:000E:00F:0F::",
    "0:0:0:0:0:0:0:a",
    "0:0:0:0:a:0:0:0",
    "0:0:0:a:0:0:0:0",
    "a:0:0:a:0:0:a:a",
    "a:0:0:a:0:0:0:a",
    "a:0:0:0:a:0:0:a",
    "a:0:0:0:a:0:0:0",
    "a:0:0:0:0:0:0:0",
    "fe80::7:8%eth0",
    "fe80::7:8%1",
};

static const char *const node_v6_not[] = {
    "",
    "1:",
    ":1",
    "11:36:12",
    "02001:0000:1234:0000:0000:C1C0:ABCD:0876",
    "2001:0000:1234:0000:00001:C1C0:ABCD:0876",
    "2001:0000:1234: 0000:0000:C1C0:ABCD:0876",
    "2001:1:1:1:1:1:255Z255X255Y255",
    "3ffe:0b00:0000:0001:0000:0000:000a",
    "FF02:0000:0000:0000:0000:0000:0000:0000:0001",
    "3ffe:b00::1::a",
    "::1111:2222:3333:4444:5555:6666::",
    "1:2:3::4:5::7:8",
    "12345::6:7:8",
    "1::5:400.2.3.4",
    "1::5:260.2.3.4",
    "1::5:256.2.3.4",
    "1::5:1.256.3.4",
    "1::5:1.2.256.4",
    "1::5:1.2.3.256",
    "1::5:300.2.3.4",
    "1::5:1.300.3.4",
    "1::5:1.2.300.4",
    "1::5:1.2.3.300",
    "1::5:900.2.3.4",
    "1::5:1.900.3.4",
    "1::5:1.2.900.4",
    "1::5:1.2.3.900",
    "1::5:300.300.300.300",
    "1::5:3000.30.30.30",
    "1::400.2.3.4",
    "1::260.2.3.4",
    "1::256.2.3.4",
    "1::1.256.3.4",
    "1::1.2.256.4",
    "1::1.2.3.256",
    "1::300.2.3.4",
    "1::1.300.3.4",
    "1::1.2.300.4",
    "1::1.2.3.300",
    "1::900.2.3.4",
    "1::1.900.3.4",
    "1::1.2.900.4",
    "1::1.2.3.900",
    "1::300.300.300.300",
    "1::3000.30.30.30",
    "::400.2.3.4",
    "::260.2.3.4",
    "::256.2.3.4",
    "::1.256.3.4",
    "::1.2.256.4",
    "::1.2.3.256",
    "::300.2.3.4",
    "::1.300.3.4",
    "::1.2.300.4",
    "::1.2.3.300",
    "::900.2.3.4",
    "::1.900.3.4",
    "::1.2.900.4",
    "::1.2.3.900",
    "::300.300.300.300",
    "::3000.30.30.30",
    "2001:DB8:0:0:8:800:200C:417A:221",
    "FF01::101::2",
    "1111:2222:3333:4444::5555:",
    "1111:2222:3333::5555:",
    "1111:2222::5555:",
    "1111::5555:",
    "::5555:",
    ":::",
    "1111:",
    ":",
    ":1111:2222:3333:4444::5555",
    ":1111:2222:3333::5555",
    ":1111:2222::5555",
    ":1111::5555",
    ":::5555",
    "1.2.3.4:1111:2222:3333:4444::5555",
    "1.2.3.4:1111:2222:3333::5555",
    "1.2.3.4:1111:2222::5555",
    "1.2.3.4:1111::5555",
    "1.2.3.4::5555",
    "1.2.3.4::",
    "fe80:0000:0000:0000:0204:61ff:254.157.241.086",
    "123",
    "ldkfj",
    "2001::FFD3::57ab",
    "2001:db8:85a3::8a2e:37023:7334",
    "2001:db8:85a3::8a2e:370k:7334",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "1:::3:4:5",
    "1:2:3::4:5:6:7:8:9",
    "::ffff:2.3.4",
    "::ffff:257.1.2.3",
    "::ffff:12345678901234567890.1.26",
    "2001:0000:1234:0000:0000:C1C0:ABCD:0876 0",
    "02001:0000:1234:0000:0000:C1C0:ABCD:0876",
};

/* Asserts one input against all three functions, given what net.isIP returns. */
static void expect_family(const char *input, int family)
{
    cr_expect_eq(eddy_is_ip(input), family, "eddy_is_ip(\"%s\") = %d, node says %d", input,
                 eddy_is_ip(input), family);
    cr_expect_eq(eddy_is_ipv4(input), family == 4, "eddy_is_ipv4(\"%s\")", input);
    cr_expect_eq(eddy_is_ipv6(input), family == 6, "eddy_is_ipv6(\"%s\")", input);
}

Test(is_ip, agrees_with_node_test_net_isip)
{
    for (size_t i = 0; i < COUNT(node_isip_cases); i++)
        expect_family(node_isip_cases[i].input, node_isip_cases[i].family);
}

Test(is_ipv4, accepts_node_test_net_isipv4_addresses)
{
    for (size_t i = 0; i < COUNT(node_v4); i++)
        expect_family(node_v4[i], 4);
}

Test(is_ipv4, rejects_node_test_net_isipv4_non_addresses)
{
    for (size_t i = 0; i < COUNT(node_v4_not); i++)
        expect_family(node_v4_not[i], 0);
}

Test(is_ipv6, accepts_node_test_net_isipv6_addresses)
{
    for (size_t i = 0; i < COUNT(node_v6); i++)
        expect_family(node_v6[i], 6);
}

Test(is_ipv6, rejects_node_test_net_isipv6_non_addresses)
{
    for (size_t i = 0; i < COUNT(node_v6_not); i++) {
        cr_expect_not(eddy_is_ipv6(node_v6_not[i]), "\"%s\"", node_v6_not[i]);
        cr_expect_neq(eddy_is_ip(node_v6_not[i]), 6, "\"%s\"", node_v6_not[i]);
    }
}

Test(is_ip, null_input_is_not_an_address)
{
    expect_family(NULL, 0);
}

Test(is_ip, empty_string_is_not_an_address)
{
    expect_family("", 0);
}

Test(is_ipv4, accepts_the_extremes_of_each_part)
{
    expect_family("0.0.0.0", 4);
    expect_family("255.255.255.255", 4);
    expect_family("256.0.0.0", 0);
    expect_family("1.2.3.255", 4);
    expect_family("1.2.3.256", 0);
}

Test(is_ipv4, rejects_leading_zeros)
{
    expect_family("01.2.3.4", 0);
    expect_family("1.2.3.04", 0);
    expect_family("1.00.3.4", 0);
}

Test(is_ipv4, rejects_hex_and_octal_parts)
{
    expect_family("0x7f.0.0.1", 0);
    expect_family("0177.0.0.1", 0);
    expect_family("0x7f000001", 0);
}

Test(is_ipv4, rejects_fewer_or_more_than_four_parts)
{
    expect_family("1.2.3", 0);
    expect_family("1.2.3.4.5", 0);
    expect_family("127.1", 0);
}

Test(is_ipv4, rejects_a_zone)
{
    expect_family("1.2.3.4%eth0", 0);
}

Test(is_ip, rejects_cidr_suffixes)
{
    expect_family("10.0.0.0/8", 0);
    expect_family("2001:db8::/32", 0);
}

Test(is_ip, rejects_surrounding_whitespace)
{
    expect_family(" 1.2.3.4", 0);
    expect_family("1.2.3.4 ", 0);
    expect_family("::1 ", 0);
    expect_family("1.2.3.4\n", 0);
    expect_family("::1\n", 0);
    expect_family("\t::1", 0);
}

Test(is_ip, rejects_non_ascii_digits)
{
    /* Fullwidth digits and dots: "１.２.３.４". */
    expect_family("\xef\xbc\x91.\xef\xbc\x92.\xef\xbc\x93.\xef\xbc\x94", 0);
    expect_family("::\xc3\xa9", 0);
}

Test(is_ipv6, accepts_a_zone_id)
{
    expect_family("fe80::1%eth0", 6);
    expect_family("fe80::1%en0.1", 6);
    expect_family("fe80::1%my-if", 6);
    expect_family("::1%a:b", 6);
    expect_family("::%1", 6);
    expect_family("::ffff:1.2.3.4%1", 6);
    expect_family("1:2:3:4:5:6:7:8%1", 6);
}

Test(is_ipv6, rejects_an_empty_zone)
{
    expect_family("fe80::1%", 0);
}

Test(is_ipv6, rejects_zone_characters_outside_letters_digits_dot_colon_dash)
{
    expect_family("fe80::1%eth_0", 0);
    expect_family("fe80::1%eth 0", 0);
    expect_family("fe80::1%%1", 0);
    expect_family("fe80::1%eth/0", 0);
}

Test(is_ipv6, rejects_a_zone_without_an_address)
{
    expect_family("%1", 0);
    expect_family("%eth0", 0);
}

Test(is_ipv6, double_colon_stands_for_at_least_one_group)
{
    expect_family("1:2:3:4:5:6:7::", 6);
    expect_family("::1:2:3:4:5:6:7", 6);
    expect_family("1:2:3:4:5:6:7::8", 0);
    expect_family("::1:2:3:4:5:6:7:8", 0);
    expect_family("1:2:3:4:5:6:7:8::", 0);
}

Test(is_ipv6, embedded_ipv4_counts_as_two_groups)
{
    expect_family("1:2:3:4:5:6:1.2.3.4", 6);
    expect_family("1:2:3:4:5:6:7:1.2.3.4", 0);
    expect_family("1:2:3:4:5:1.2.3.4", 0);
    expect_family("::1:2:3:4:5:1.2.3.4", 6);
    expect_family("::1:2:3:4:5:6:1.2.3.4", 0);
    expect_family("1:2:3:4:5:6::1.2.3.4", 0);
}

Test(is_ipv6, embedded_ipv4_must_end_the_address)
{
    expect_family("::1.2.3.4:1", 0);
    expect_family("1.2.3.4::", 0);
}

Test(is_ipv6, embedded_ipv4_follows_ipv4_rules)
{
    expect_family("::ffff:01.2.3.4", 0);
    expect_family("::ffff:1.2.3", 0);
    expect_family("::ffff:a.2.3.4", 0);
}

Test(is_ipv6, groups_have_one_to_four_hex_digits)
{
    expect_family("::0000:1", 6);
    expect_family("::00000:1", 0);
    expect_family("1:g::", 0);
}

Test(is_ipv6, accepts_uppercase_hex)
{
    expect_family("FE80::ABCD", 6);
}

/* ---- differential test against node ---- */

enum { DIFF_COUNT = 50000 };

static const char *const diff_seeds[] = {
    "0.0.0.0",
    "255.255.255.255",
    "192.168.1.1",
    "10.0.0.255",
    "::",
    "::1",
    "1::",
    "fe80::1%eth0",
    "fe80::204:61ff:fe9d:f156",
    "::ffff:192.168.1.26",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:1.2.3.4",
    "2001:db8:85a3::8a2e:370:7334",
    "a:bb:ccc:dddd:000e:00f:0f::",
    "1::5:11.22.33.44%1",
};

struct text {
    char s[96];
    size_t len;
};

static void text_add(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n >= sizeof t->s) n = sizeof t->s - 1 - t->len;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_add_char(struct text *t, char c)
{
    char s[2] = {c, '\0'};
    text_add(t, s);
}

/* A decimal part, sometimes out of range or with a leading zero. */
static void gen_v4_part(struct text *t, uint64_t *rng)
{
    char buf[16];
    switch (node_rng_below(rng, 8)) {
    case 0:
        snprintf(buf, sizeof buf, "0%u", (unsigned)node_rng_below(rng, 100));
        break;
    case 1:
        snprintf(buf, sizeof buf, "%u", (unsigned)node_rng_below(rng, 1000));
        break;
    case 2:
        snprintf(buf, sizeof buf, "%u", 250 + (unsigned)node_rng_below(rng, 10));
        break;
    default:
        snprintf(buf, sizeof buf, "%u", (unsigned)node_rng_below(rng, 256));
        break;
    }
    text_add(t, buf);
}

static void gen_v4(struct text *t, uint64_t *rng)
{
    size_t parts = node_rng_below(rng, 8) ? 4 : 3 + node_rng_below(rng, 3);
    for (size_t i = 0; i < parts; i++) {
        if (i) text_add_char(t, '.');
        gen_v4_part(t, rng);
    }
}

static void gen_v6(struct text *t, uint64_t *rng)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    static const char zone[] = "abcdefxyzXYZ0123456789-.:_ /%";
    size_t groups = node_rng_below(rng, 10);
    size_t compress = node_rng_below(rng, 3) ? node_rng_below(rng, groups + 1) : (size_t)-1;
    bool tail = node_rng_below(rng, 4) == 0;

    if (compress == 0) text_add(t, "::");
    for (size_t i = 0; i < groups; i++) {
        size_t digits = node_rng_below(rng, 12) == 0 ? 5 : 1 + node_rng_below(rng, 4);
        for (size_t d = 0; d < digits; d++)
            text_add_char(t, hex[node_rng_below(rng, sizeof hex - 1)]);
        if (compress == i + 1)
            text_add(t, "::");
        else if (i + 1 < groups || tail)
            text_add_char(t, ':');
    }
    if (tail) gen_v4(t, rng);
    if (node_rng_below(rng, 4) == 0) {
        text_add_char(t, '%');
        size_t n = node_rng_below(rng, 5);
        for (size_t i = 0; i < n; i++)
            text_add_char(t, zone[node_rng_below(rng, sizeof zone - 1)]);
    }
}

/* Inserts, deletes or replaces characters with ones that matter to the grammar. */
static void mutate(struct text *t, uint64_t *rng)
{
    static const char alphabet[] = "0123456789aAfFgG:.:.%/ -xz\t\n";
    size_t edits = 1 + node_rng_below(rng, 3);
    for (size_t e = 0; e < edits; e++) {
        size_t pos = node_rng_below(rng, t->len + 1);
        char c = alphabet[node_rng_below(rng, sizeof alphabet - 1)];
        if (node_rng_below(rng, 40) == 0) c = (char)0xC3; /* a non-ASCII byte */
        switch (node_rng_below(rng, 3)) {
        case 0: /* insert */
            if (t->len + 1 < sizeof t->s) {
                memmove(t->s + pos + 1, t->s + pos, t->len - pos + 1);
                t->s[pos] = c;
                t->len++;
            }
            break;
        case 1: /* delete */
            if (pos < t->len) {
                memmove(t->s + pos, t->s + pos + 1, t->len - pos);
                t->len--;
            }
            break;
        default: /* replace */
            if (pos < t->len) t->s[pos] = c;
            break;
        }
    }
}

static void gen_input(struct text *t, uint64_t *rng)
{
    t->len = 0;
    t->s[0] = '\0';
    switch (node_rng_below(rng, 4)) {
    case 0:
        gen_v4(t, rng);
        break;
    case 1:
        gen_v6(t, rng);
        break;
    default:
        text_add(t, diff_seeds[node_rng_below(rng, COUNT(diff_seeds))]);
        mutate(t, rng);
        break;
    }
    if (node_rng_below(rng, 2) == 0) mutate(t, rng);
}

/* Node prints, for each NUL-terminated input, the digit isIPv4 + 2 * isIPv6 (both are
 * reported to catch an input that one would accept and isIP would not reach). */
static const char isip_script[] =
    "const fs = require('fs');\n"
    "const net = require('net');\n"
    "const items = fs.readFileSync(process.argv[2], 'latin1').split('\\0');\n"
    "items.pop();\n"
    "let out = '';\n"
    "for (const s of items) {\n"
    "  const v = (net.isIPv4(s) ? 1 : 0) + (net.isIPv6(s) ? 2 : 0);\n"
    "  if (net.isIP(s) !== [0, 4, 6, -1][v]) throw new Error('isIP disagrees: ' + s);\n"
    "  out += v;\n"
    "}\n"
    "process.stdout.write(out);\n";

/* eddy's answer in the digit form the script prints; is_ip must agree with the other two. */
static int eddy_verdict(const char *s)
{
    int v = (eddy_is_ipv4(s) ? 1 : 0) + (eddy_is_ipv6(s) ? 2 : 0);
    int family = v == 1 ? 4 : v == 2 ? 6 : 0;
    cr_expect(v != 3, "\"%s\" is both IPv4 and IPv6", s);
    cr_expect_eq(eddy_is_ip(s), family, "eddy_is_ip(\"%s\") disagrees with is_ipv4/is_ipv6", s);
    return v;
}

Test(is_ip, agrees_with_node_on_generated_inputs, .timeout = 120)
{
    struct text *inputs = calloc(DIFF_COUNT, sizeof *inputs);
    char *file = malloc((size_t)DIFF_COUNT * sizeof inputs->s);
    int *verdicts = malloc(DIFF_COUNT * sizeof *verdicts);
    cr_assert(inputs && file && verdicts);
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    size_t file_len = 0;
    /* eddy classifies everything first, so that the generated inputs exercise it even
     * where node cannot run. */
    for (size_t i = 0; i < DIFF_COUNT; i++) {
        gen_input(&inputs[i], &rng);
        memcpy(file + file_len, inputs[i].s, inputs[i].len + 1);
        file_len += inputs[i].len + 1;
        verdicts[i] = eddy_verdict(inputs[i].s);
    }

    const char *no_node = node_unavailable_reason();
    if (no_node) {
        free(verdicts);
        free(file);
        free(inputs);
        cr_skip_test("%s: comparison with net.isIP skipped", no_node);
    }

    size_t out_len = 0;
    char *out = node_run(isip_script, file, file_len, &out_len);
    cr_assert(out, "running node failed");
    cr_assert_eq(out_len, (size_t)DIFF_COUNT, "node classified %zu of %d inputs", out_len,
                 DIFF_COUNT);

    size_t valid = 0, mismatches = 0;
    for (size_t i = 0; i < DIFF_COUNT; i++) {
        int v = out[i] - '0';
        valid += v != 0;
        if (verdicts[i] != v && ++mismatches <= 20)
            cr_log_error("\"%s\": node v4=%d v6=%d, eddy v4=%d v6=%d", inputs[i].s, v & 1, v >> 1,
                         verdicts[i] & 1, verdicts[i] >> 1);
    }
    /* A generator that produced almost only garbage would prove little. */
    cr_expect_gt(valid, DIFF_COUNT / 10, "only %zu generated inputs are addresses", valid);
    cr_expect_eq(mismatches, 0, "%zu of %d inputs classified differently from node", mismatches,
                 DIFF_COUNT);
    free(out);
    free(verdicts);
    free(file);
    free(inputs);
}
