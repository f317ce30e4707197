/* Node test: test-net-buffersize.js
 * Asserts: on a socket that is still connecting, after i one-byte writes bufferSize is i
 * (i = 1..9); once everything is flushed ('finish') it is 0.
 * eddy: eddy_socket_buffer_size after each eddy_socket_write made before 'connect' is i;
 * it is 0 in the client's 'finish' (must come once), and still 0 in its 'close'. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    size_t sizes[10];
    size_t at_close, at_finish;
    int closes, conn_ends, finishes;
};

static void conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->conn_ends++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, ctx);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->at_close = eddy_socket_buffer_size(ev->target);
}

static void on_finish(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->finishes++;
    x->at_finish = eddy_socket_buffer_size(ev->target);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "close", on_close, x);
    eddy_on(eddy_emitter_of(c), "finish", on_finish, x);
    for (int i = 1; i < 10; i++) {
        eddy_socket_write(c, "a", 1, NULL, NULL);
        x->sizes[i] = eddy_socket_buffer_size(c);
    }
    eddy_socket_end(c, NULL, 0);
}

Test(net_buffersize, buffer_size_counts_queued_bytes)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    for (int i = 1; i < 10; i++)
        cr_assert_eq(x.sizes[i], (size_t)i, "after %d writes: %zu", i, x.sizes[i]);
    cr_assert_eq(x.conn_ends, 1);
    cr_assert_eq(x.finishes, 1);
    cr_assert_eq(x.at_finish, 0);
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.at_close, 0);
    node_finish(&env);
}
