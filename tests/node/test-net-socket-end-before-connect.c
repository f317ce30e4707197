/* Node test: test-net-socket-end-before-connect.js
 * Asserts: end() called on a socket that is still connecting does not prevent 'close'.
 * eddy: eddy_create_connection then eddy_socket_end at once; the client's 'close' must
 * come (once) and it closes the server, so the loop ends by itself. */
#include "node_helpers.h"

static int closes;

static void on_client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    closes++;
    eddy_server_close(ctx, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_loop *loop = ctx;
    eddy_socket *c = eddy_create_connection(loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "close", on_client_close, ev->target);
    cr_assert_eq(eddy_socket_end(c, NULL, 0), 0);
}

Test(net_socket_end_before_connect, end_while_connecting_still_closes)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
