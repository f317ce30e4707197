/* Node test: test-net-remote-address.js
 * Asserts: while connecting, remoteAddress is undefined; in 'connect' it is set; the
 * client then ends and gets 'end'.
 * eddy: eddy_socket_remote_address returns -ENOTCONN right after eddy_create_connection
 * and 0 with "127.0.0.1" and the server's port in 'connect'; eddy_socket_connecting is
 * true right after the call. */
#include "node_helpers.h"

static int connects, ends;
static bool connecting_before;
static int rc_before = 1;
static eddy_address before;
static eddy_address in_connect;

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    connects++;
    cr_assert_eq(eddy_socket_remote_address(ev->target, &in_connect), 0);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ends++;
    eddy_server_close(ctx, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = eddy_create_connection(ctx, server_port(ev->target), "127.0.0.1", on_connect, NULL);
    cr_assert_not_null(c);
    rc_before = eddy_socket_remote_address(c, &before);
    connecting_before = eddy_socket_connecting(c);
    eddy_on(eddy_emitter_of(c), "end", on_end, ev->target);
}

Test(net_remote_address, remote_address_unset_while_connecting_then_set)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    int port = server_port(srv);
    node_run(&env, 5000);
    cr_assert_eq(rc_before, -ENOTCONN, "while connecting: rc %d, %s %s:%d", rc_before, before.family,
                 before.address, before.port);
    cr_assert_eq(connects, 1);
    cr_assert_str_eq(in_connect.address, "127.0.0.1");
    cr_assert_eq(in_connect.port, port);
    cr_assert_eq(ends, 1);
    cr_assert(connecting_before, "not connecting right after eddy_create_connection");
    node_finish(&env);
}
