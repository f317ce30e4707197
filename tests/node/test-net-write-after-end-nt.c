/* Node test: test-net-write-after-end-nt.js
 * Asserts: a client that called end() and then, in its 'end' listener (the server ended
 * too), writes: write() returns false, and the EPIPE error is not emitted inside the
 * write call but on the next tick. (node v20, checked: the write callback gets EPIPE,
 * then 'error' EPIPE, then 'close'(true).)
 * eddy: in 'end', eddy_socket_write returns false and no 'error' was emitted during the
 * call; afterwards the callback got -EPIPE, one 'error' -EPIPE (syscall "write") came,
 * then 'close'(true). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int ends, errors, errors_in_write, cb_status, cbs, closes;
    int err_code;
    bool ret, close_had_error, cb_before_error;
};

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct ctx *x = ctx;
    x->cbs++;
    x->cb_status = status;
    x->cb_before_error = x->errors == 0;
}

static void on_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->ends++;
    x->ret = eddy_socket_write(ev->target, "hello", 5, write_cb, x);
    x->errors_in_write = x->errors;
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->errors++;
    x->err_code = ev->u.error.code;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->close_had_error = ev->u.had_error;
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(ev->target), "error", on_error, x);
    eddy_on(eddy_emitter_of(ev->target), "end", on_end, x);
    eddy_on(eddy_emitter_of(ev->target), "close", on_close, x);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_write_after_end_nt, write_after_end_errors_on_a_later_tick)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.ret, false);
    cr_assert_eq(x.errors_in_write, 0, "'error' was emitted inside the write call");
    cr_assert_eq(x.cbs, 1);
    cr_assert_eq(x.cb_status, -EPIPE, "callback status %s", eddy_err_name(x.cb_status));
    cr_assert(x.cb_before_error, "Node calls the write callback before 'error'");
    cr_assert_eq(x.errors, 1);
    cr_assert_eq(x.err_code, -EPIPE);
    cr_assert_eq(x.closes, 1);
    cr_assert(x.close_had_error);
    node_finish(&env);
}
