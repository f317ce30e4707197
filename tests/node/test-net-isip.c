/* Node test: test-net-isip.js
 * Asserts: net.isIP returns 4, 6 or 0 for a set of inputs (IPv4, IPv6 full and
 * compressed, embedded IPv4, zone ids, and malformed ones), 0 for no argument, '',
 * null and non-strings, and it uses an object's toString(); isIPv4/isIPv6 agree.
 * eddy: eddy_is_ip / eddy_is_ipv4 / eddy_is_ipv6 on the same strings; NULL stands for
 * Node's undefined and null. Numbers, booleans and objects (and toString) have no C form:
 * their string forms are tested ("123", "true"). */
#include "node_helpers.h"

struct c {
    const char *s;
    int want;
};

static const struct c cases[] = {
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
    {"fe80::2008%eth0", 6},
    {"fe80::2008%eth0.0", 6},
    {"fe80::2008%eth0@1", 0},
    {"::anything", 0},
    {"::1", 6},
    {"::", 6},
    {"0000:0000:0000:0000:0000:0000:12345:0000", 0},
    {"0", 0},
    {"", 0},
    {"123", 0},
    {"true", 0},
    {"bla", 0},
};

Test(net_isip, is_ip_of_each_input)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(eddy_is_ip(cases[i].s), cases[i].want, "isIP(\"%s\")", cases[i].s);
        cr_assert_eq(eddy_is_ipv4(cases[i].s), cases[i].want == 4, "isIPv4(\"%s\")", cases[i].s);
        cr_assert_eq(eddy_is_ipv6(cases[i].s), cases[i].want == 6, "isIPv6(\"%s\")", cases[i].s);
    }
}

Test(net_isip, null_is_not_an_ip)
{
    cr_assert_eq(eddy_is_ip(NULL), 0);
    cr_assert_not(eddy_is_ipv4(NULL));
    cr_assert_not(eddy_is_ipv6(NULL));
}
