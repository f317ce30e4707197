/* Node test: test-net-socket-close-after-end.js
 * Asserts: an accepted socket that ends its side, while its reading is held back for
 * 100 ms (paused mode, read() later), still emits 'end' before 'close'.
 * eddy: the accepted socket is paused and resumed after 100 ms (Node's 'readable' + a
 * later read()); both sides end with "foo". The connection's 'end' must come before its
 * 'close', and 'close' must come. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    net_log slog;
};

static void resume_later(void *arg) { eddy_socket_resume(arg); }

static void on_conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct ctx *)ctx)->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->u.socket;
    net_record(&x->slog, c, "conn", "data end close");
    eddy_on(eddy_emitter_of(c), "close", on_conn_close, x);
    eddy_socket_pause(c);
    cr_assert_not_null(eddy_set_timeout(x->loop, 100, resume_later, c));
    eddy_socket_end(c, "foo", 3);
}

static void on_client_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, "foo", 3);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1",
                                              on_client_connect, NULL));
}

Test(net_socket_close_after_end, end_comes_before_close_when_reading_is_late)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_str_eq(x.slog.text, "conn:data(foo) conn:end conn:close(false)");
    node_finish(&env);
}
