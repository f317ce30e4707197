/* Node test: test-net-bytes-written-large.js
 * Asserts: right after end(data) of 10 MB -- most of it still queued -- bytesWritten is
 * already 10,000,000 (it counts what write() accepted: the part sent synchronously plus
 * the queued part); it still is in end's callback; the client's bytesRead is 10,000,000
 * in 'close'. Variants: a Buffer, an ASCII string, and (corked) a string plus a Buffer
 * with bytesWritten growing by N after each write.
 * eddy: variant 1 is eddy_socket_end_cb with the bytes, variant 2 eddy_socket_write_string
 * + eddy_socket_end_cb (end's own data is bytes), variant 3 eddy_socket_cork, the two
 * writes, eddy_socket_end_cb with no data, eddy_socket_uncork. The value is checked right
 * after the calls (Node: N, 2N), in end's callback ('finish') and in the server socket's
 * 'close'. */
#include "node_helpers.h"

#define N 10000000

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int variant;
    uint64_t right_after, after_first, at_conn_close, at_finish, client_read;
    int client_closes, finishes;
};

static void conn_close(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->at_conn_close = eddy_socket_bytes_written(ev->target);
}

static void on_finish(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->finishes++;
    x->at_finish = eddy_socket_bytes_written(ev->target);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->u.socket;
    eddy_on(eddy_emitter_of(c), "close", conn_close, x);
    if (x->variant == 1) {
        unsigned char *b = calloc(1, N);
        cr_assert_not_null(b);
        cr_assert_eq(eddy_socket_end_cb(c, b, N, on_finish, x), 0);
        free(b);
    } else {
        char *s = malloc(N + 1);
        cr_assert_not_null(s);
        memset(s, 'a', N);
        s[N] = '\0';
        if (x->variant == 3)
            cr_assert_eq(eddy_socket_cork(c), 0);
        eddy_socket_write_string(c, s, EDDY_ENC_UTF8, NULL, NULL);
        free(s);
        if (x->variant == 3) {
            x->after_first = eddy_socket_bytes_written(c);
            unsigned char *b = calloc(1, N);
            cr_assert_not_null(b);
            eddy_socket_write(c, b, N, NULL, NULL);
            free(b);
        }
        cr_assert_eq(eddy_socket_end_cb(c, NULL, 0, on_finish, x), 0);
        if (x->variant == 3)
            eddy_socket_uncork(c); /* end uncorked already, as Node's does */
    }
    x->right_after = eddy_socket_bytes_written(c);
}

static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_closes++;
    x->client_read = eddy_socket_bytes_read(ev->target);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
}

static void run(int variant)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .variant = variant};
    uint64_t total = variant == 3 ? 2ull * N : N;
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 60000);
    cr_assert_eq(x.client_closes, 1);
    cr_assert_eq(x.client_read, total);
    cr_assert_eq(x.at_conn_close, total);
    cr_assert_eq(x.finishes, 1);
    cr_assert_eq(x.at_finish, total);
    if (variant == 3)
        cr_assert_eq(x.after_first, N, "after the first write: %llu (Node: %d)",
                     (unsigned long long)x.after_first, N);
    cr_assert_eq(x.right_after, total, "right after end: %llu (Node: %llu)",
                 (unsigned long long)x.right_after, (unsigned long long)total);
    node_finish(&env);
}

Test(net_bytes_written_large, buffer) { run(1); }
Test(net_bytes_written_large, string) { run(2); }
Test(net_bytes_written_large, string_then_buffer) { run(3); }
