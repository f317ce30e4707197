/* Node test: test-net-write-fully-async-hex-string.js
 * Asserts: writing a 2,000,000-character hex string (1 MB of zero bytes) with encoding
 * 'hex' until write() returns false, again on every
 * 'drain', 20 rounds, never loses or corrupts the decoded bytes (the buffer made inside
 * write() must stay alive after a GC).
 * eddy: eddy_socket_write_string(..., EDDY_ENC_HEX) of a string that is freed (and
 * overwritten) right after each call returns; a reader checks every byte is 0. */
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
        char *h = malloc(2 * SIZE + 1);
        cr_assert_not_null(h);
        memset(h, '0', 2 * SIZE);
        h[2 * SIZE] = '\0';
        bool more = eddy_socket_write_string(c, h, EDDY_ENC_HEX, NULL, NULL);
        memset(h, 'f', 2 * SIZE); /* whatever eddy keeps must be its own copy */
        free(h);
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

Test(net_write_fully_async_hex_string, queued_hex_strings_survive_until_written)
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
