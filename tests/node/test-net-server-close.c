/* Node test: test-net-server-close.js
 * Asserts: server.close() with two open connections, then destroying both: each
 * connection emits 'close' and the server emits 'close' (once each).
 * eddy: two clients; when the second 'connection' arrives, eddy_server_close (returns 0)
 * and eddy_socket_destroy on both accepted sockets. */
#include "node_helpers.h"

static eddy_socket *socks[2];
static int nsocks, conn_closes, server_closes, close_rc = 1;

static void on_conn_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; conn_closes++; }
static void on_server_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; server_closes++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "close", on_conn_close, NULL);
    socks[nsocks++] = ev->u.socket;
    if (nsocks == 2) {
        close_rc = eddy_server_close(ctx, NULL, NULL);
        eddy_socket_destroy(socks[0]);
        eddy_socket_destroy(socks[1]);
    }
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    int port = server_port(ev->target);
    cr_assert_not_null(eddy_create_connection(ctx, port, "127.0.0.1", NULL, NULL));
    cr_assert_not_null(eddy_create_connection(ctx, port, "127.0.0.1", NULL, NULL));
}

Test(net_server_close, close_then_destroy_both_connections)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "connection", on_connection, srv);
    eddy_on(eddy_emitter_of(srv), "close", on_server_close, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(nsocks, 2);
    cr_assert_eq(close_rc, 0);
    cr_assert_eq(conn_closes, 2);
    cr_assert_eq(server_closes, 1);
    node_finish(&env);
}
