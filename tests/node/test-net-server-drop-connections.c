/* Node test: test-net-server-drop-connections.js
 * Asserts: with maxConnections 1, of two connections the first is accepted ('connection'
 * once) and the second refused: the server emits 'drop' once, with localAddress,
 * localPort, remoteAddress, remotePort and remoteFamily all set; in 'drop' the first
 * socket is destroyed and the server closed.
 * eddy: eddy_server_set_max_connections(1); 'drop' carries u.drop.local and
 * u.drop.remote (eddy_address: address, port, family). Also checked: both addresses are
 * on 127.0.0.1, the local port is the server's. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *first;
    int port, connections, drops;
    bool have_local, have_remote;
    eddy_address local, remote;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connections++;
    x->first = ev->u.socket;
}

static void on_drop(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->drops++;
    if ((x->have_local = ev->u.drop.local != NULL))
        x->local = *ev->u.drop.local;
    if ((x->have_remote = ev->u.drop.remote != NULL))
        x->remote = *ev->u.drop.remote;
    if (x->first)
        eddy_socket_destroy(x->first);
    eddy_server_close(x->srv, NULL, NULL);
}

static void ignore_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    for (int i = 0; i < 2; i++) {
        eddy_socket *c = eddy_create_connection(x->loop, x->port, "127.0.0.1", NULL, NULL);
        cr_assert_not_null(c);
        /* a refused connection may see ECONNRESET: Node's clients have no listener and
         * the test does not look at them */
        eddy_on(eddy_emitter_of(c), "error", ignore_error, NULL);
    }
}

Test(net_server_drop_connections, drop_event_with_addresses)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    eddy_server_set_max_connections(x.srv, 1);
    eddy_on(eddy_emitter_of(x.srv), "drop", on_drop, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.drops, 1);
    cr_assert(x.have_local && x.have_remote, "'drop' without addresses");
    cr_assert_str_eq(x.local.address, "127.0.0.1");
    cr_assert_eq(x.local.port, x.port);
    cr_assert_str_eq(x.remote.address, "127.0.0.1");
    cr_assert_gt(x.remote.port, 0);
    cr_assert_str_eq(x.remote.family, "IPv4");
    cr_assert_str_eq(x.local.family, "IPv4");
    node_finish(&env);
}
