/* Node test: test-net-socket-connect-without-cb.js
 * Asserts: socket.connect(server.address()) works without a callback; 'connect' comes as
 * an event and the server sees the connection.
 * eddy: eddy_socket_new, then eddy_socket_connect(port, address) with the port and
 * address read from eddy_server_address, and on_connect NULL. */
#include "node_helpers.h"

static int connects, conns;

static void on_connection(const eddy_event *ev, void *ctx)
{
    conns++;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(ctx, NULL, NULL);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    connects++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_address a;
    cr_assert_eq(eddy_server_address(ev->target, &a), 0);
    eddy_socket *c = eddy_socket_new(ctx, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "connect", on_connect, NULL);
    cr_assert_eq(eddy_socket_connect(c, a.port, a.address, NULL, NULL), 0);
}

Test(net_socket_connect_without_cb, connect_to_the_server_address_without_callback)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "connection", on_connection, srv);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(connects, 1);
    cr_assert_eq(conns, 1);
    node_finish(&env);
}
