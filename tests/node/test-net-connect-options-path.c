/* Node test: test-net-connect-options-path.js
 * Asserts: the 12 ways of connecting to a UNIX path (connect / createConnection /
 * new Socket().connect, with path or {path}, with or without callback) all connect; the
 * server answers "ok" and ends each, each client ends in its connect callback and gets
 * 'close'; the server closes after the 12th.
 * eddy: the C forms are eddy_create_connection_path and eddy_socket_new +
 * eddy_socket_connect_path, each with on_connect or a 'connect' listener: 4 forms, each
 * used 3 times (12 clients); every client is resumed as in Node. */
#include "node_helpers.h"

#define CLIENTS 12

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    char path[256];
    int conns, connects, closes;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conns++;
    eddy_socket_end(ev->u.socket, "ok", 2);
}

static void c_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->closes == CLIENTS)
        eddy_server_close(x->srv, NULL, NULL);
}

static void c_connect(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->connects++;
    eddy_socket_end(ev->target, NULL, 0);
    eddy_on(eddy_emitter_of(ev->target), "close", c_close, ctx);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    for (int i = 0; i < CLIENTS; i++) {
        int form = i % 4;
        bool with_cb = form & 1;
        eddy_socket *s;
        if (form & 2) {
            s = eddy_socket_new(x->loop, NULL);
            cr_assert_not_null(s);
            cr_assert_eq(eddy_socket_connect_path(s, x->path, with_cb ? c_connect : NULL, x), 0);
        } else {
            s = eddy_create_connection_path(x->loop, x->path, with_cb ? c_connect : NULL, x);
            cr_assert_not_null(s);
        }
        if (!with_cb)
            eddy_on(eddy_emitter_of(s), "connect", c_connect, x);
        eddy_socket_resume(s);
    }
}

Test(net_connect_options_path, every_form_connects_to_a_unix_path)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    struct ctx x = {.loop = env.loop};
    node_tmpdir_path(&t, "net-connect-options-path-server", x.path, sizeof x.path);
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen_path(x.srv, x.path, on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.conns, CLIENTS);
    cr_assert_eq(x.connects, CLIENTS);
    cr_assert_eq(x.closes, CLIENTS);
    node_tmpdir_remove(&t);
    node_finish(&env);
}
