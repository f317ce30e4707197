/* Node test: test-net-write-fully-async-buffer.js
 * Asserts: writing a fresh 1 MB buffer until write() returns false, again on every
 * 'drain', 200 rounds, never loses or corrupts the queued buffers (Node forces a GC
 * between rounds; the buffer must stay alive inside the write), and the socket is then
 * destroyed with the server closed.
 * eddy: the same loop with a buffer that is freed (and its bytes overwritten) right after
 * each eddy_socket_write returns -- eddy copies what it cannot send at once -- and a
 * reader that checks every byte is 0. 20 rounds instead of 200, so that it stays quick
 * under valgrind (each round queues at least 16 KiB, usually several MB). */
#include "node_helpers.h"

#define SIZE 1000000
#define ROUNDS 20

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int count, drains, corrupt;
    size_t received;
};

static void write_loop(struct ctx *x, eddy_socket *c)
{
    if (x->count++ == ROUNDS) {
        eddy_socket_destroy(c);
        eddy_server_close(x->srv, NULL, NULL);
        return;
    }
    for (;;) {
        unsigned char *b = calloc(1, SIZE);
        cr_assert_not_null(b);
        bool more = eddy_socket_write(c, b, SIZE, NULL, NULL);
        memset(b, 0xEE, SIZE); /* whatever eddy keeps must be its own copy */
        free(b);
        if (!more)
            break;
    }
}

static void on_drain(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->drains++;
    write_loop(ctx, ev->target);
}

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    const unsigned char *b = ev->u.data.bytes;
    for (size_t i = 0; i < ev->u.data.len; i++)
        if (b[i] != 0)
            x->corrupt++;
    x->received += ev->u.data.len;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, ctx);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->target), "drain", on_drain, ctx);
    write_loop(ctx, ev->target);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", client_connect, x));
}

Test(net_write_fully_async_buffer, queued_buffers_survive_until_written)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 120000);
    cr_assert_eq(x.count, ROUNDS + 1);
    cr_assert_eq(x.drains, ROUNDS);
    cr_assert_gt(x.received, 0);
    cr_assert_eq(x.corrupt, 0);
    node_finish(&env);
}
