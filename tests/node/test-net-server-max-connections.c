/* Node test: test-net-server-max-connections.js
 * Asserts: with maxConnections 10, of 20 connections made one after the other the first
 * 10 are served ("hello") and kept open, the last 10 are closed by the server without
 * data; once those 10 closed, the first 10 are ended and the server closed; all 20 close.
 * eddy: eddy_server_set_max_connections(10); each client connects on the previous one's
 * 'connect'; a client ends on 'end'; the 'connection' listener must run 10 times. */
#include "node_helpers.h"

#define N 20

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, conns, closes, early_close_of_a_served, wrong_data[N];
    bool got_data[N];
    eddy_socket *waits[N];
    int nwaits;
};

struct client {
    struct ctx *x;
    int index;
};
static struct client clients[N];

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    eddy_socket_write(ev->u.socket, "hello", 5, NULL, NULL);
    x->waits[x->nwaits++] = ev->u.socket;
}

static void make_connection(struct ctx *x, int index);

static void client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct client *c = ctx;
    struct ctx *x = c->x;
    x->closes++;
    if (x->closes < N / 2 && c->index < N / 2)
        x->early_close_of_a_served++;
    if (x->closes == N / 2) {
        for (int i = 0; i < x->nwaits; i++)
            eddy_socket_end(x->waits[i], NULL, 0);
        x->nwaits = 0;
        eddy_server_close(x->srv, NULL, NULL);
    }
    if ((c->index < N / 2) != x->got_data[c->index])
        x->wrong_data[c->index]++;
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    eddy_on(eddy_emitter_of(ev->target), "close", client_close, c);
    if (c->index + 1 < N)
        make_connection(c->x, c->index + 1);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    if (ev->u.data.len > 0)
        c->x->got_data[c->index] = true;
}

static void make_connection(struct ctx *x, int index)
{
    clients[index] = (struct client){x, index};
    eddy_socket *s = eddy_create_connection(x->loop, x->port, "127.0.0.1", client_connect, &clients[index]);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "end", end_target_listener, NULL);
    eddy_on(eddy_emitter_of(s), "data", client_data, &clients[index]);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    make_connection(x, 0);
}

Test(net_server_max_connections, connections_beyond_the_limit_are_closed)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    eddy_server_set_max_connections(x.srv, N / 2);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 20000);
    cr_assert_eq(x.conns, N / 2);
    cr_assert_eq(x.closes, N);
    cr_assert_eq(x.early_close_of_a_served, 0, "a served connection closed among the first 10");
    for (int i = 0; i < N; i++)
        cr_assert_eq(x.wrong_data[i], 0, "connection %d: got data %d", i, x.got_data[i]);
    node_finish(&env);
}
