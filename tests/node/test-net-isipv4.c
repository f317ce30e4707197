/* Node test: test-net-isipv4.js
 * Asserts: net.isIPv4 is true for each address of a list of valid dotted quads and
 * false for each of a list of malformed ones (leading/trailing dots, octets over 255,
 * three parts, a URL, leading zeros beyond three digits, ...).
 * eddy: eddy_is_ipv4 over the same inputs (and eddy_is_ip gives 4 / not 4). */
#include "node_helpers.h"

static const char *const v4[] = {
    "0.0.0.0", "8.8.8.8", "127.0.0.1", "100.100.100.100", "192.168.0.1", "18.101.25.153",
    "123.23.34.2", "172.26.168.134", "212.58.241.131", "128.0.0.0", "23.71.254.72",
    "223.255.255.255", "192.0.2.235", "99.198.122.146", "46.51.197.88", "173.194.34.134",
    NULL,
};

static const char *const v4not[] = {
    ".100.100.100.100", "100..100.100.100.", "100.100.100.100.", "999.999.999.999",
    "256.256.256.256", "256.100.100.100.100", "123.123.123", "http://123.123.123", "1000.2.3.4",
    "999.2.3.4", "0000000192.168.0.200", "192.168.0.2000000000",
    NULL,
};

Test(net_isipv4, valid_addresses)
{
    for (const char *const *p = v4; *p; p++) {
        cr_assert(eddy_is_ipv4(*p), "%s", *p);
        cr_assert_eq(eddy_is_ip(*p), 4, "%s", *p);
    }
}

Test(net_isipv4, invalid_addresses)
{
    for (const char *const *p = v4not; *p; p++) {
        cr_assert_not(eddy_is_ipv4(*p), "%s", *p);
        cr_assert_neq(eddy_is_ip(*p), 4, "%s", *p);
    }
}
