/* Node test: test-net-socket-destroy-twice.js
 * Asserts: a connection to a closed server fails with 'error'; destroy() called in the
 * 'error' listener (the socket is being destroyed already) is harmless and 'close' comes
 * exactly once.
 * eddy: connect to a port whose server was closed in the same tick (the connection is
 * refused), eddy_socket_destroy in 'error'; one 'error', one 'close'. */
#include "node_helpers.h"

static int errors, closes;

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    errors++;
    eddy_socket_destroy(ev->target);
}

static void on_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; closes++; }

Test(net_socket_destroy_twice, destroy_in_error_listener)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    int port = server_port(srv);
    cr_assert_gt(port, 0);
    eddy_socket *c = eddy_create_connection(env.loop, port, "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "error", on_error, NULL);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    eddy_server_close(srv, NULL, NULL);
    node_run(&env, 5000);
    cr_assert_eq(errors, 1);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
