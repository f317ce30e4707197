/* Node test: test-net-socket-end-callback.js
 * Asserts: socket.end(cb), end('foo', cb) and end('foo', 'utf8', cb), each called in the
 * connect callback of its own connection, all call cb (3 times in all); the server
 * resumes its sockets and is unref'd.
 * eddy: eddy_socket_end_cb(s, NULL, 0, cb), (s, "foo", 3, cb) and, for the utf8 string,
 * the same bytes again (eddy's end takes bytes; the encoding argument has no C form).
 * The server is unref'd as in Node: the loop ends once the clients closed; the
 * still-listening server is then closed and the loop run again to release it. Also
 * checked: the server received "foo" twice (6 bytes). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    int cbs, started;
    uint64_t received;
};

static const char *datas[3] = {NULL, "foo", "foo"};

static void conn_data(const eddy_event *ev, void *ctx) { ((struct ctx *)ctx)->received += ev->u.data.len; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, ctx);
    eddy_socket_resume(ev->u.socket);
}

static void end_cb(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->cbs++;
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    const char *d = datas[x->started++ % 3];
    cr_assert_eq(eddy_socket_end_cb(ev->target, d, d ? strlen(d) : 0, end_cb, x), 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    for (int i = 0; i < 3; i++)
        cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_socket_end_callback, end_calls_its_callback)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server *srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    eddy_server_unref(srv);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.cbs, 3);
    cr_assert_eq(x.received, 6);
    cr_assert_eq(eddy_server_close(srv, NULL, NULL), 0);
    node_run(&env, 5000);
    node_finish(&env);
}
