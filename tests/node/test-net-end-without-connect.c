/* Node test: test-net-end-without-connect.js
 * Asserts: end() on a socket that never connected does not throw.
 * eddy: eddy_socket_end on a socket from eddy_socket_new returns 0 and emits no 'error'
 * (node v20, checked: nothing at all is emitted, the socket just stays). A later
 * eddy_socket_destroy releases it with one 'close'(false). */
#include "node_helpers.h"

static int closes;
static node_errors errs;

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(ev->u.had_error, false);
    closes++;
}

static void destroy_later(void *arg) { eddy_socket_destroy(arg); }

Test(net_end_without_connect, end_on_an_unconnected_socket_is_harmless)
{
    node_env env = node_start();
    eddy_socket *s = eddy_socket_new(env.loop, NULL);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "error", node_error_listener, &errs);
    eddy_on(eddy_emitter_of(s), "close", on_close, NULL);
    cr_assert_eq(eddy_socket_end(s, NULL, 0), 0);
    cr_assert_not_null(eddy_set_timeout(env.loop, 20, destroy_later, s));
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 0);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
