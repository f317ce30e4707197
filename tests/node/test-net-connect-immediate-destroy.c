/* Node test: test-net-connect-immediate-destroy.js
 * Asserts: a client that connects to a listening server, after which the server is closed
 * and the client destroyed in the same tick, gets neither 'connect' nor 'error'.
 * eddy: the server listens on 127.0.0.1:0; Node reads server.address() synchronously
 * right after listen(), eddy's eddy_server_address also works before 'listening'
 * (the socket is bound at once) -- the test checks that too. */
#include "node_helpers.h"

static int connects, closes;
static node_errors errs;

static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connects++; }
static void on_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; closes++; }

Test(net_connect_immediate_destroy, no_connect_and_no_error)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    int port = server_port(srv);
    cr_assert_gt(port, 0, "eddy_server_address right after listen gave no port");
    eddy_socket *c = eddy_create_connection(env.loop, port, "127.0.0.1", on_connect, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &errs);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    cr_assert_eq(eddy_server_close(srv, NULL, NULL), 0);
    eddy_socket_destroy(c);
    node_run(&env, 5000);
    cr_assert_eq(connects, 0);
    cr_assert_eq(errs.count, 0);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
