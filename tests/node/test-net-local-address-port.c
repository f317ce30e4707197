/* Node test: test-net-local-address-port.js
 * Asserts: on the server side, an accepted socket's localAddress is 127.0.0.1, its
 * localPort the server's port and its localFamily the server's family.
 * eddy: eddy_socket_address of the accepted socket in 'connection' is
 * {"IPv4", "127.0.0.1", server's port}, equal to eddy_server_address. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_address local, server;
    int conns, rc;
};

static void on_conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(ctx, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    x->rc = eddy_socket_address(ev->u.socket, &x->local);
    eddy_server_address(x->srv, &x->server);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", on_conn_end, x->srv);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1",
                                              end_target_listener, NULL));
}

Test(net_local_address_port, accepted_socket_local_address_is_the_servers)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .rc = 1};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.conns, 1);
    cr_assert_eq(x.rc, 0);
    cr_assert_str_eq(x.local.address, "127.0.0.1");
    cr_assert_eq(x.local.port, x.server.port);
    cr_assert_str_eq(x.local.family, x.server.family);
    cr_assert_str_eq(x.local.family, "IPv4");
    node_finish(&env);
}
