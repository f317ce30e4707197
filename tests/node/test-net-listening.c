/* Node test: test-net-listening.js
 * Asserts: server.listening is false before listen, true in the listen callback, false
 * again in the close callback.
 * eddy: eddy_server_listening is false before eddy_server_listen, true in 'listening',
 * false in the on_close callback; eddy_server_address agrees (-ENOTCONN exactly when the
 * server is not listening). */
#include "node_helpers.h"

static int listenings, closes;
static int rc_in_close = 1;
static bool listening_in_close = true, listening_in_listening;

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    rc_in_close = eddy_server_address(ev->target, &a);
    listening_in_close = eddy_server_listening(ev->target);
    closes++;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    cr_assert_eq(eddy_server_address(ev->target, &a), 0);
    listening_in_listening = eddy_server_listening(ev->target);
    listenings++;
    eddy_server_close(ev->target, on_close, NULL);
}

Test(net_listening, listening_state_before_during_and_after)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_address a;
    cr_assert_eq(eddy_server_address(srv, &a), -ENOTCONN);
    cr_assert_eq(eddy_server_listening(srv), false);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, on_listening, NULL), 0);
    node_run(&env, 5000);
    cr_assert_eq(listenings, 1);
    cr_assert_eq(closes, 1);
    cr_assert_eq(rc_in_close, -ENOTCONN);
    cr_assert_eq(listening_in_listening, true);
    cr_assert_eq(listening_in_close, false);
    node_finish(&env);
}
