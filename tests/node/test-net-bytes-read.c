/* Node test: test-net-bytes-read.js
 * Asserts: while 1 MiB arrives, bytesRead grows with every 'data'; at 'end' and at
 * 'close' it equals the bytes received, 1 MiB.
 * eddy: eddy_socket_bytes_read read in each 'data' (strictly growing), in 'end' and in
 * 'close'. (The socket._handle check has no C meaning.) */
#include "node_helpers.h"

#define BIG (1024 * 1024)

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    uint64_t prev, received, at_end, at_close;
    int datas, not_growing, ends, closes;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    unsigned char *big = calloc(1, BIG);
    cr_assert_not_null(big);
    eddy_socket_end(ev->u.socket, big, BIG);
    free(big);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->datas++;
    x->received += ev->u.data.len;
    uint64_t v = eddy_socket_bytes_read(ev->target);
    if (v <= x->prev)
        x->not_growing++;
    x->prev = v;
}

static void on_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->ends++;
    x->at_end = eddy_socket_bytes_read(ev->target);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->at_close = eddy_socket_bytes_read(ev->target);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    eddy_emitter *e = eddy_emitter_of(ev->target);
    eddy_on(e, "data", on_data, ctx);
    eddy_on(e, "end", on_end, ctx);
    eddy_on(e, "close", on_close, ctx);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_bytes_read, bytes_read_grows_and_ends_at_the_total)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 20000);
    cr_assert_geq(x.datas, 1);
    cr_assert_eq(x.not_growing, 0);
    cr_assert_eq(x.received, BIG);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.at_end, BIG);
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.at_close, BIG);
    node_finish(&env);
}
