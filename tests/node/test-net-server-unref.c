/* Node test: test-net-server-unref.js
 * Asserts: a listening server that is unref'd does not keep the process alive (an
 * unref'd 1 s timer that would fail the test never fires).
 * eddy: eddy_server_listen then eddy_server_unref; the loop must end by itself well before
 * the 1 s timer (unref'd too) fires. The still-listening server is then closed and the
 * loop run again to release it. */
#include "node_helpers.h"

static int fired;
static void must_not_fire(void *arg) { (void)arg; fired++; }

Test(net_server_unref, unrefd_listening_server_lets_the_loop_end)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server_unref(srv);
    eddy_timer *t = eddy_set_timeout(env.loop, 1000, must_not_fire, NULL);
    eddy_timer_unref(t);
    uint64_t t0 = mono_ns();
    node_run(&env, 5000);
    cr_assert_lt((mono_ns() - t0) / 1000000u, 900u, "the loop waited for the timer");
    cr_assert_eq(fired, 0);
    eddy_clear_timer(t);
    cr_assert_eq(eddy_server_close(srv, NULL, NULL), 0);
    node_run(&env, 5000);
    node_finish(&env);
}
