/* Node test: test-net-server-pause-on-connect.js
 * Asserts: a server with pauseOnConnect gives sockets that emit no 'data' until resumed
 * (bytesRead 0 meanwhile), while a server without it delivers at once; once server 2's
 * socket got the message, server 1's socket is resumed and gets "test" too.
 * eddy: eddy_server_options.pause_on_connect true / false; a client writes "test" to
 * server 1, and from that write's callback server 2 listens and a second client writes
 * "test" to it; server 2's 'data' resumes server 1's socket. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv1, *srv2;
    eddy_socket *sock1;
    bool stopped;
    int early_data, data1, data2, client_cbs;
    uint64_t read1_before_resume;
};

static void data1(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (x->stopped)
        x->early_data++;
    if (ev->u.data.len == 4 && memcmp(ev->u.data.bytes, "test", 4) == 0)
        x->data1++;
    eddy_socket_end(ev->target, NULL, 0);
    eddy_server_close(x->srv1, NULL, NULL);
}

static void conn1(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->sock1 = ev->u.socket;
    eddy_on(eddy_emitter_of(ev->u.socket), "data", data1, x);
}

static void data2(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (ev->u.data.len == 4 && memcmp(ev->u.data.bytes, "test", 4) == 0)
        x->data2++;
    eddy_socket_end(ev->target, NULL, 0);
    eddy_server_close(x->srv2, NULL, NULL);
    x->read1_before_resume = eddy_socket_bytes_read(x->sock1);
    x->stopped = false;
    eddy_socket_resume(x->sock1);
}

static void conn2(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", data2, ctx);
}

static void listening2(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_socket_write(c, "test", 4, NULL, NULL);
    eddy_on(eddy_emitter_of(c), "end", end_target_listener, NULL);
}

static void client_written(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct ctx *x = ctx;
    cr_assert_eq(status, 0);
    x->client_cbs++;
    cr_assert_eq(eddy_server_listen(x->srv2, 0, "127.0.0.1", listening2, x), 0);
}

static void listening1(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_socket_write(c, "test", 4, client_written, x);
    eddy_on(eddy_emitter_of(c), "end", end_target_listener, NULL);
}

Test(net_server_pause_on_connect, paused_sockets_read_nothing_until_resumed)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .stopped = true};
    eddy_server_options o1 = {.pause_on_connect = true}, o2 = {.pause_on_connect = false};
    x.srv1 = eddy_create_server(env.loop, &o1, conn1, &x);
    x.srv2 = eddy_create_server(env.loop, &o2, conn2, &x);
    cr_assert_eq(eddy_server_listen(x.srv1, 0, "127.0.0.1", listening1, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.client_cbs, 1);
    cr_assert_eq(x.data2, 1);
    cr_assert_eq(x.read1_before_resume, 0);
    cr_assert_eq(x.early_data, 0);
    cr_assert_eq(x.data1, 1);
    cr_assert_eq(x.stopped, false);
    node_finish(&env);
}
