/* Node test: test-net-onread-static-buffer.js
 * Asserts: with connect's onread option, the server's "hello world" (11 bytes, then its
 * end) reaches the callback, never 'data', and 'end' follows with all bytes received in
 * order: (1) into one static 8-byte buffer, the callback always given that buffer;
 * (2) into buffers returned by a function from a pool of three 2-byte buffers, asked 7
 * times (6 reads of data and the read that finds the end); (3) with the socket paused
 * inside the callback and resumed 100 ms later (the callback never runs while paused);
 * (4) with the callback returning false (an implicit pause), resumed 100 ms later.
 * eddy: eddy_connect_options.onread (eddy_onread: buffer/size or get_buffer, callback);
 * the Buffer and Uint8Array variants of the JS test are the same case in C. */
#include "node_helpers.h"

static const char message[] = "hello world";

enum mode { STATIC_BUFFER, BUFFER_POOL, EXPLICIT_PAUSE, IMPLICIT_PAUSE };

struct ctx {
    eddy_loop *loop;
    eddy_server *server;
    enum mode mode;
    unsigned char static_buf[8];
    unsigned char pool[3][2];
    int pool_idx, pool_usage;
    char received[64];
    size_t received_len;
    int datas, ends, callbacks_while_paused, wrong_buffer;
    bool paused;
    eddy_socket *client;
};

static void *next_pool_buffer(eddy_socket *s, size_t *size, void *ctx)
{
    (void)s;
    struct ctx *x = ctx;
    x->pool_usage++;
    x->pool_idx = (x->pool_idx + 1) % 3;
    *size = sizeof x->pool[0];
    return x->pool[x->pool_idx];
}

static void resume_later(void *arg)
{
    struct ctx *x = arg;
    x->paused = false;
    eddy_socket_resume(x->client);
}

static bool on_read(eddy_socket *s, size_t nread, void *buf, void *ctx)
{
    struct ctx *x = ctx;
    if (x->paused)
        x->callbacks_while_paused++;
    void *want = x->mode == BUFFER_POOL ? (void *)x->pool[x->pool_idx] : (void *)x->static_buf;
    if (buf != want)
        x->wrong_buffer++;
    cr_assert_leq(x->received_len + nread, sizeof x->received);
    memcpy(x->received + x->received_len, buf, nread);
    x->received_len += nread;
    if (x->mode == EXPLICIT_PAUSE || x->mode == IMPLICIT_PAUSE) {
        x->paused = true;
        cr_assert_not_null(eddy_set_timeout(x->loop, 100, resume_later, x));
        if (x->mode == EXPLICIT_PAUSE)
            eddy_socket_pause(s);
        else
            return false;
    }
    return true;
}

static void count_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->datas++;
}

static void count_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->ends++;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_server_close(x->server, NULL, NULL);
    eddy_socket_end(ev->u.socket, message, strlen(message));
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    eddy_onread o = {.callback = on_read, .ctx = x};
    if (x->mode == BUFFER_POOL) {
        o.get_buffer = next_pool_buffer;
    } else {
        o.buffer = x->static_buf;
        o.size = sizeof x->static_buf;
    }
    eddy_connect_options c = {.port = server_port(x->server), .host = "127.0.0.1", .onread = &o};
    x->client = eddy_connect(x->loop, &c, NULL, NULL);
    cr_assert_not_null(x->client);
    eddy_on(eddy_emitter_of(x->client), "data", count_data, x);
    eddy_on(eddy_emitter_of(x->client), "end", count_end, x);
}

static void run(enum mode mode)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .mode = mode, .pool_idx = -1};
    x.server = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.server, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.datas, 0, "onread: no 'data'");
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.received_len, strlen(message));
    cr_assert_eq(memcmp(x.received, message, strlen(message)), 0);
    cr_assert_eq(x.wrong_buffer, 0, "the callback gets the buffer the read used");
    cr_assert_eq(x.callbacks_while_paused, 0);
    if (mode == BUFFER_POOL)
        cr_assert_eq(x.pool_usage, 7, "asked before each read, the end's included");
    node_finish(&env);
}

Test(net_onread_static_buffer, a_static_buffer)
{
    run(STATIC_BUFFER);
}

Test(net_onread_static_buffer, buffers_from_a_function)
{
    run(BUFFER_POOL);
}

Test(net_onread_static_buffer, an_explicit_pause_in_the_callback)
{
    run(EXPLICIT_PAUSE);
}

Test(net_onread_static_buffer, returning_false_pauses)
{
    run(IMPLICIT_PAUSE);
}
