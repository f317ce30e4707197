/* Node test: test-net-server-max-connections-close-makes-more-available.js
 * Asserts: with maxConnections 1: connection 0 is served; connection 1 is rejected
 * (ECONNRESET or end); once connection 0 ends, connection 2 is served and connection 3
 * rejected. All four sent their index; the server received only "0" and "2".
 * eddy: the same sequence driven by a small state machine (Node's promise chain): each
 * step starts when the previous connection got data, 'end' or an error. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, step;
    eddy_socket *conns[4];
    char sent[8], received[8];
    int nsent, nreceived, bad_errors;
    bool resolved[4];
};

struct client {
    struct ctx *x;
    int index;
};
static struct client clients[4];

static void next_step(struct ctx *x);

static void resolve(struct client *c)
{
    if (c->x->resolved[c->index])
        return;
    c->x->resolved[c->index] = true;
    next_step(c->x);
}

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    for (size_t i = 0; i < ev->u.data.len && x->nreceived < 7; i++)
        x->received[x->nreceived++] = ((const char *)ev->u.data.bytes)[i];
    eddy_socket_write(ev->target, "acknowledged", 12, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, ctx);
}

static void c_connect(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    char m = (char)('0' + c->index);
    eddy_socket_write(ev->target, &m, 1, NULL, NULL);
    c->x->sent[c->x->nsent++] = m;
}

static void c_error(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    if (ev->u.error.code != -ECONNRESET)
        c->x->bad_errors++;
    resolve(c);
}

static void c_settle(const eddy_event *ev, void *ctx)
{
    (void)ev;
    resolve(ctx);
}

static void create(struct ctx *x, int i)
{
    clients[i] = (struct client){x, i};
    eddy_socket *s = eddy_create_connection(x->loop, x->port, "127.0.0.1", c_connect, &clients[i]);
    cr_assert_not_null(s);
    x->conns[i] = s;
    eddy_on(eddy_emitter_of(s), "error", c_error, &clients[i]);
    eddy_on(eddy_emitter_of(s), "data", c_settle, &clients[i]);
    eddy_on(eddy_emitter_of(s), "end", c_settle, &clients[i]);
}

static void on_close0(const eddy_event *ev, void *ctx)
{
    (void)ev;
    next_step(ctx);
}

/* 0: create 0 | 1: create 1 | 2: end 0, wait for its 'end' |
 * 3: create 2 | 4: create 3 | 5: close server, end 2 */
static void next_step(struct ctx *x)
{
    switch (x->step++) {
    case 0: create(x, 0); break;
    case 1: create(x, 1); break;
    case 2:
        eddy_on(eddy_emitter_of(x->conns[0]), "end", on_close0, x);
        eddy_socket_end(x->conns[0], NULL, 0);
        break;
    case 3: create(x, 2); break;
    case 4: create(x, 3); break;
    case 5:
        eddy_server_close(x->srv, NULL, NULL);
        eddy_socket_end(x->conns[2], NULL, 0);
        break;
    default: break;
    }
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    next_step(x);
}

Test(net_server_max_connections_close_makes_more_available, a_closed_connection_frees_a_place)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    eddy_server_set_max_connections(x.srv, 1);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 20000);
    x.sent[x.nsent] = '\0';
    x.received[x.nreceived] = '\0';
    cr_assert_str_eq(x.sent, "0123");
    cr_assert_str_eq(x.received, "02");
    cr_assert_eq(x.bad_errors, 0);
    node_finish(&env);
}
