/* Node test: test-net-connect-destroy.js
 * Asserts: destroying a socket that never connected still emits 'close' (once).
 * eddy: eddy_socket_new(loop, NULL) then eddy_socket_destroy; 'close' is counted and
 * must arrive exactly once, with had_error false. */
#include "node_helpers.h"

static int closes;
static bool had_error;

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    closes++;
    had_error = ev->u.had_error;
}

Test(net_connect_destroy, destroy_of_an_unconnected_socket_emits_close)
{
    node_env env = node_start();
    eddy_socket *s = eddy_socket_new(env.loop, NULL);
    cr_assert_not_null(s);
    cr_assert_eq(eddy_on(eddy_emitter_of(s), "close", on_close, NULL), 0);
    eddy_socket_destroy(s);
    node_run(&env, 5000);
    cr_assert_eq(closes, 1);
    cr_assert_eq(had_error, false);
    node_finish(&env);
}
