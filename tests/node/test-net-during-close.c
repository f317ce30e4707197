/* Node test: test-net-during-close.js
 * Asserts: reading remoteAddress/remoteFamily/remotePort of a client that is still
 * connecting, after the server was closed, does not throw.
 * eddy: create the connection, close the server, read eddy_socket_remote_address (any
 * return is fine, it must not crash), then destroy the client (Node exits instead). */
#include "node_helpers.h"

static int listenings;

static void on_listening(const eddy_event *ev, void *ctx)
{
    listenings++;
    eddy_socket *c = eddy_create_connection(ctx, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_server_close(ev->target, NULL, NULL);
    eddy_address a;
    int rc = eddy_socket_remote_address(c, &a);
    cr_assert(rc == 0 || rc == -ENOTCONN);
    eddy_socket_destroy(c);
}

Test(net_during_close, remote_address_of_a_connecting_socket)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(listenings, 1);
    node_finish(&env);
}
