/* Node test: test-net-end-without-connect.js
 * Asserts: end() on a socket that never connected does not throw.
 * eddy: eddy_socket_end on a socket from eddy_socket_new returns 0 and emits no 'error'.
 * Node v20 (checked) emits nothing at all after such an end(): no 'finish', no 'close',
 * the socket is not destroyed and stays until destroy(), which then emits 'close'. The
 * test holds eddy to that: no 'close' during the 20 ms after end, then one 'close'(false)
 * from eddy_socket_destroy. */
#include "node_helpers.h"

static int closes, closes_before_destroy = -1;
static bool closed;
static node_errors errs;

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(ev->u.had_error, false);
    closes++;
    closed = true;
}

static void destroy_later(void *arg)
{
    closes_before_destroy = closes;
    if (!closed) /* a closed eddy socket is released: no call on it any more */
        eddy_socket_destroy(arg);
}

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
    cr_assert_eq(closes_before_destroy, 0, "'close' came after end() alone (Node: nothing until destroy)");
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
