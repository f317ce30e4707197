/* Node test: test-net-autoselectfamily-ipv4first.js
 * Asserts: with a lookup that answers the A record (127.0.0.1) before the AAAA (::1) and
 * servers on both, autoSelectFamily connects to IPv4 ("response-ipv4"); the IPv6 server
 * gets no data.
 * eddy: the user resolver answers directly (no DNS server); the attempt timeout is the
 * default 250 ms (Node sets it process-wide; eddy has no process-wide setting). */
#include "autoselect_common.h"

Test(net_autoselectfamily_ipv4first, ipv6_is_not_reached_if_ipv4_is_sorted_first)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"}, s6 = {.reply = "response-ipv6"};
    eddy_server *srv4, *srv6;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_listen(env.loop, &srv6, &s6, "::1", port);
    as_resolver r = {.addrs = {"127.0.0.1", "::1"}, .count = 2};
    as_client c = {.close_on_end = {srv4, srv6}};
    as_connect(env.loop, port, &r, true, &c);
    node_run(&env, 5000);
    cr_assert_str_eq(c.response, "response-ipv4");
    cr_assert_eq(s4.data_events, 1);
    cr_assert_eq(s6.data_events, 0);
    node_finish(&env);
}
