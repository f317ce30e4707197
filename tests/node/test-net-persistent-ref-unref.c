/* Node test: test-net-persistent-ref-unref.js
 * Asserts: unref() then ref() on a socket before connect() leave it referenced once its
 * handle exists (the handle's ref/unref calls balance to 0), and the connection proceeds
 * to 'end'.
 * eddy: (1) eddy_socket_unref + eddy_socket_ref before eddy_socket_connect: the client
 * alone keeps the loop alive -- the server and the accepted socket are unref'd and the
 * server answers only after 100 ms, from an unref'd timer -- so the client still gets
 * "hi" and 'end'. (2) The control: with unref alone, the loop ends before the reply. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client, *conn;
    eddy_timer *timer;
    int ends, datas;
};

static void reply(void *arg)
{
    struct ctx *x = arg;
    x->timer = NULL;
    eddy_socket_end(x->conn, "hi", 2);
}

static void conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->conn = NULL;
}

static void server_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->srv = NULL;
}

static void client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->client = NULL;
}

/* Whatever the first run left (unref'd objects do not hold the loop): destroyed, and the
 * loop run again to release it. */
static void clean_up(struct ctx *x, node_env *env)
{
    if (x->timer)
        eddy_clear_timer(x->timer);
    if (x->client)
        eddy_socket_destroy(x->client);
    if (x->conn)
        eddy_socket_destroy(x->conn);
    if (x->srv)
        eddy_server_close(x->srv, NULL, NULL);
    node_run(env, 5000);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conn = ev->u.socket;
    eddy_socket_unref(x->conn);
    eddy_on(eddy_emitter_of(x->conn), "close", conn_close, x);
    x->timer = eddy_set_timeout(x->loop, 100, reply, x);
    eddy_timer_unref(x->timer);
}

static void on_data(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->datas++; }

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->ends++;
    if (x->srv)
        eddy_server_close(x->srv, NULL, NULL);
}

static void run(bool ref_again, struct ctx *x, node_env *env)
{
    x->loop = env->loop;
    x->srv = eddy_create_server(env->loop, NULL, on_connection, x);
    cr_assert_eq(eddy_server_listen(x->srv, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server_unref(x->srv);
    eddy_on(eddy_emitter_of(x->srv), "close", server_close, x);
    x->client = eddy_socket_new(env->loop, NULL);
    eddy_socket_unref(x->client);
    if (ref_again)
        eddy_socket_ref(x->client);
    eddy_on(eddy_emitter_of(x->client), "data", on_data, x);
    eddy_on(eddy_emitter_of(x->client), "end", on_end, x);
    eddy_on(eddy_emitter_of(x->client), "close", client_close, x);
    cr_assert_eq(eddy_socket_connect(x->client, server_port(x->srv), "127.0.0.1", NULL, NULL), 0);
}

Test(net_persistent_ref_unref, unref_then_ref_before_connect_keeps_the_loop_alive)
{
    node_env env = node_start();
    struct ctx x = {0};
    run(true, &x, &env);
    node_run(&env, 5000);
    cr_assert_eq(x.datas, 1);
    cr_assert_eq(x.ends, 1);
    clean_up(&x, &env);
    node_finish(&env);
}

Test(net_persistent_ref_unref, unref_alone_before_connect_does_not)
{
    node_env env = node_start();
    struct ctx x = {0};
    run(false, &x, &env);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 0, "the unref'd client kept the loop alive until the reply");
    clean_up(&x, &env);
    node_finish(&env);
}
