/* Node test: test-net-socket-local-address.js
 * Asserts: one client socket object connects twice to 127.0.0.1 (again from its 'close');
 * the local ports it reports in each connect callback are the remote ports the server
 * saw, in order, and there were 2 connections.
 * eddy: eddy_socket_address's port in the connect callback vs eddy_socket_remote_address
 * of each accepted socket; the second connection is made with eddy_socket_connect on the
 * same socket from its 'close' listener, as Node does (see test-net-reconnect). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client;
    int conns, server_ports[4], client_ports[4], nserver, nclient, rc;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_address a;
    if (eddy_socket_remote_address(ev->u.socket, &a) == 0 && x->nserver < 4)
        x->server_ports[x->nserver++] = a.port;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_address a;
    if (eddy_socket_address(ev->target, &a) == 0 && x->nclient < 4)
        x->client_ports[x->nclient++] = a.port;
}

static void connect_next(struct ctx *x, eddy_socket *s)
{
    if (x->conns == 2) {
        eddy_server_close(x->srv, NULL, NULL);
        return;
    }
    x->conns++;
    x->rc = eddy_socket_connect(s, server_port(x->srv), "127.0.0.1", on_connect, x);
    if (x->rc != 0)
        eddy_server_close(x->srv, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx) { connect_next(ctx, ev->target); }

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(x->client), "close", on_close, x);
    connect_next(x, x->client);
}

Test(net_socket_local_address, local_ports_match_what_the_server_saw)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.client = eddy_socket_new(env.loop, NULL);
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.rc, 0, "eddy_socket_connect of the closed socket: %s", eddy_err_name(x.rc));
    cr_assert_eq(x.conns, 2);
    cr_assert_eq(x.nserver, 2);
    cr_assert_eq(x.nclient, 2);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(x.server_ports[i], x.client_ports[i]);
    node_finish(&env);
}
