/* Node test: test-net-server-unref-persistent.js
 * Asserts: unref() called before listen() persists: the listening server does not keep
 * the process alive.
 * eddy: eddy_server_unref before eddy_server_listen (port 0, host NULL as Node's
 * listen()); the loop must end by itself long before an unref'd 1 s timer. */
#include "node_helpers.h"

static int fired;
static void must_not_fire(void *arg) { (void)arg; fired++; }

Test(net_server_unref_persistent, unref_before_listen_persists)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_server_unref(srv);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, NULL, NULL), 0);
    eddy_timer *t = eddy_set_timeout(env.loop, 1000, must_not_fire, NULL);
    eddy_timer_unref(t);
    uint64_t t0 = mono_ns();
    node_run(&env, 5000);
    cr_assert_lt((mono_ns() - t0) / 1000000u, 900u, "the loop waited for the timer");
    cr_assert_eq(fired, 0);
    eddy_clear_timer(t);
    eddy_server_close(srv, NULL, NULL);
    node_run(&env, 5000);
    node_finish(&env);
}
