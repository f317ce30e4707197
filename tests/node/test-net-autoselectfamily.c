/* Node test: test-net-autoselectfamily.js
 * Asserts, with a lookup that answers AAAA records first:
 *  - ::1 unreachable (nothing there), 127.0.0.1 listening: the connection reaches IPv4
 *    (attempted addresses ::1 then 127.0.0.1) and gets "response-ipv4";
 *  - three AAAA and three A records, only the last A reachable: the attempts alternate
 *    families (v6, v4, v6, v4, ::1, 127.0.0.1) and the last one connects;
 *  - ::1 reachable: IPv4 is never tried ("response-ipv6", the IPv4 server gets no data);
 *  - nothing reachable (port 10): 'error' is an AggregateError of both ECONNREFUSED;
 *  - autoSelectFamily false: only ::1 is tried, 'error' ECONNREFUSED ::1:port.
 * eddy: the user resolver answers directly (no DNS server). Node's public addresses
 * (2606:4700::..., 104.20.22.46, ...) are replaced by loopback ones that refuse
 * (::ffff:127.0.0.2 and ::ffff:127.0.0.3 as the IPv6 family, 127.0.0.2 and 127.0.0.3),
 * so all traffic stays on loopback. autoSelectFamilyAttemptedAddresses has no eddy form
 * (not checked); when all fail eddy's 'error' is the last failure (127.0.0.1's
 * ECONNREFUSED) where Node aggregates them. Port 10 becomes a port nobody listens on. */
#include "autoselect_common.h"

Test(net_autoselectfamily, ipv4_is_reached_if_ipv6_is_not)
{
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"};
    eddy_server *srv4;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_resolver r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    as_client c = {.close_on_end = {srv4}};
    as_connect(env.loop, port, &r, true, &c);
    node_run(&env, 5000);
    cr_assert_eq(c.readies, 1);
    cr_assert_eq(c.ends, 1);
    cr_assert_str_eq(c.response, "response-ipv4");
    node_finish(&env);
}

Test(net_autoselectfamily, only_the_last_successful_connection_is_established)
{
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"};
    eddy_server *srv4;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_resolver r = {.addrs = {"::ffff:127.0.0.2", "::ffff:127.0.0.3", "::1", "127.0.0.2",
                               "127.0.0.3", "127.0.0.1"},
                     .count = 6};
    as_client c = {.close_on_end = {srv4}};
    as_connect(env.loop, port, &r, true, &c);
    node_run(&env, 10000);
    cr_assert_eq(c.readies, 1);
    cr_assert_str_eq(c.response, "response-ipv4");
    cr_assert_eq(s4.data_events, 1);
    node_finish(&env);
}

Test(net_autoselectfamily, ipv4_is_not_reached_if_ipv6_is)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"}, s6 = {.reply = "response-ipv6"};
    eddy_server *srv4, *srv6;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_listen(env.loop, &srv6, &s6, "::1", port);
    as_resolver r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    as_client c = {.close_on_end = {srv4, srv6}};
    as_connect(env.loop, port, &r, true, &c);
    node_run(&env, 5000);
    cr_assert_str_eq(c.response, "response-ipv6");
    cr_assert_eq(s4.data_events, 0);
    cr_assert_eq(s6.data_events, 1);
    node_finish(&env);
}

Test(net_autoselectfamily, when_no_connection_succeeds_the_error_is_reported)
{
    node_env env = node_start();
    int port = unused_tcp_port();
    as_resolver r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    as_client c = {0};
    as_connect(env.loop, port, &r, true, &c);
    node_run(&env, 5000);
    cr_assert_eq(c.readies, 0);
    cr_assert_eq(c.errors, 1);
    cr_assert_str_eq(eddy_err_name(c.error_code), "ECONNREFUSED");
    cr_assert_str_eq(c.error_address, "127.0.0.1");
    cr_assert_eq(c.error_port, port);
    node_finish(&env);
}

Test(net_autoselectfamily, the_option_can_be_disabled)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"};
    eddy_server *srv4;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_resolver r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    as_client c = {.close_on_end = {srv4}};
    as_connect(env.loop, port, &r, false, &c);
    node_run(&env, 5000);
    cr_assert_eq(c.readies, 0);
    cr_assert_eq(c.errors, 1);
    cr_assert_str_eq(eddy_err_name(c.error_code), "ECONNREFUSED");
    cr_assert_str_eq(c.error_address, "::1");
    cr_assert_eq(c.error_port, port);
    cr_assert_eq(s4.data_events, 0);
    node_finish(&env);
}
