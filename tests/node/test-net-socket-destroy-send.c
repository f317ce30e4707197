/* Node test: test-net-socket-destroy-send.js
 * Asserts: after destroy() (twice: the second call short-circuits), write() does not emit
 * 'error'; its callback gets ERR_STREAM_DESTROYED. (node v20, checked: write returns
 * false and 'close' comes with hadError false.)
 * eddy: in 'connect', eddy_socket_destroy twice, then eddy_socket_write with a callback.
 * Expected as in Node: write returns false, the callback gets a negative status, no
 * 'error' event, 'close'(false). */
#include "node_helpers.h"

static int connects, cbs, cb_status = 1, closes;
static bool write_ret = true, close_had_error = true;
static node_errors errs;

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    (void)ctx;
    cbs++;
    cb_status = status;
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    closes++;
    close_had_error = ev->u.had_error;
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = ev->target;
    connects++;
    eddy_socket_destroy(c);
    eddy_socket_destroy(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &errs);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    write_ret = eddy_socket_write(c, "kaboom", 6, write_cb, NULL);
    eddy_server_close(ctx, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    cr_assert_not_null(eddy_create_connection(ctx, server_port(ev->target), "127.0.0.1",
                                              on_connect, ev->target));
}

Test(net_socket_destroy_send, write_after_destroy_fails_in_its_callback_without_error_event)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(connects, 1);
    cr_assert_eq(write_ret, false);
    cr_assert_eq(cbs, 1);
    cr_assert_lt(cb_status, 0);
    cr_assert_eq(errs.count, 0, "'error' %s [%s] was emitted", eddy_err_name(errs.code), errs.syscall);
    cr_assert_eq(closes, 1);
    cr_assert_eq(close_had_error, false);
    node_finish(&env);
}
