/* Node test: test-net-connect-after-destroy.js
 * Asserts: a connection destroyed right after it was created (while its address is still
 * being resolved) does not crash and nothing more happens.
 * eddy: eddy_create_connection to "localhost" (eddy resolves no other names: Node's
 * 'google.com' has no eddy equivalent) and eddy_socket_destroy at once. Nothing may be
 * emitted but 'close'(false); no 'connect', no 'error'. */
#include "node_helpers.h"

static int connects, closes;
static node_errors errs;

static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connects++; }
static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(ev->u.had_error, false);
    closes++;
}

Test(net_connect_after_destroy, destroy_right_after_create_connection)
{
    node_env env = node_start();
    int port = unused_tcp_port();
    cr_assert_gt(port, 0);
    eddy_socket *c = eddy_create_connection(env.loop, port, "localhost", on_connect, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &errs);
    eddy_socket_destroy(c);
    node_run(&env, 5000);
    cr_assert_eq(connects, 0);
    cr_assert_eq(errs.count, 0);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
