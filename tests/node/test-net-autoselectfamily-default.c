/* Node test: test-net-autoselectfamily-default.js
 * Asserts: with a lookup that answers ::1 then 127.0.0.1 and a server on 127.0.0.1 only:
 * with autoSelectFamily on by default (net.setDefaultAutoSelectFamily(true)) the
 * connection reaches IPv4 ("response-ipv4"); with it off by default it fails with
 * ECONNREFUSED ::1:port.
 * eddy: no process-wide default (eddy has no global mutable state): the default of a
 * zero-initialised eddy_connect_options is Node v20's (autoSelectFamily on), and
 * no_auto_select_family turns it off per connection. */
#include "autoselect_common.h"

Test(net_autoselectfamily_default, on_by_default_reaches_ipv4)
{
    node_env env = node_start();
    as_server s4 = {.reply = "response-ipv4"};
    eddy_server *srv4;
    int port = as_listen(env.loop, &srv4, &s4, "127.0.0.1", 0);
    as_resolver r = {.addrs = {"::1", "127.0.0.1"}, .count = 2};
    as_client c = {.close_on_end = {srv4}};
    as_connect(env.loop, port, &r, true, &c); /* zero options: autoSelectFamily */
    node_run(&env, 5000);
    cr_assert_str_eq(c.response, "response-ipv4");
    cr_assert_eq(r.family, 0);
    node_finish(&env);
}

Test(net_autoselectfamily_default, off_fails_on_the_first_address)
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
    cr_assert_eq(c.errors, 1);
    cr_assert_str_eq(eddy_err_name(c.error_code), "ECONNREFUSED");
    cr_assert_str_eq(c.error_address, "::1");
    cr_assert_eq(c.error_port, port);
    node_finish(&env);
}
