/* Node test: test-net-connect-reset-after-destroy.js
 * Asserts: in 'connect', resetAndDestroy() then destroy() (both return the socket); no
 * 'error' on the client afterwards; a write after that fails in its callback with
 * ERR_STREAM_DESTROYED; the server's socket gets 'error' ECONNRESET (syscall read).
 * eddy: eddy_socket_reset_and_destroy then eddy_socket_destroy in 'connect' (the chained
 * return value has no C form); then eddy_socket_write of "fzfzfzfzfz", which must return
 * false and whose callback gets a negative status (Node's ERR_STREAM_DESTROYED), with no
 * client 'error'. The server socket's 'error' is ECONNRESET from "read". Also checked (as
 * Node does it): the client's 'close' is (false), the server socket's 'close' (true). */
#include "node_helpers.h"

struct ctx {
    eddy_server *srv;
    node_errors client_errs, server_errs;
    int write_cbs, write_status, client_closes, server_sock_closes;
    bool write_ret, client_close_err, server_close_err;
};

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct ctx *x = ctx;
    x->write_cbs++;
    x->write_status = status;
}

static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_closes++;
    x->client_close_err = ev->u.had_error;
}

static void server_sock_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->server_sock_closes++;
    x->server_close_err = ev->u.had_error;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "error", node_error_listener, &x->server_errs);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", server_sock_close, x);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->target;
    eddy_socket_reset_and_destroy(c);
    eddy_socket_destroy(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &x->client_errs);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
    x->write_ret = eddy_socket_write(c, "fzfzfzfzfz", 10, write_cb, x);
    eddy_server_close(x->srv, NULL, NULL);
}

struct ctx_loop {
    eddy_loop *loop;
    struct ctx *x;
};

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx_loop *l = ctx;
    eddy_socket *c = eddy_create_connection(l->loop, server_port(ev->target), "127.0.0.1", on_connect, l->x);
    cr_assert_not_null(c);
}

static void run(void)
{
    node_env env = node_start();
    struct ctx x = {0};
    struct ctx_loop l = {env.loop, &x};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &l), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.write_ret, false, "a write after destroy returned true");
    cr_assert_eq(x.write_cbs, 1);
    cr_assert_lt(x.write_status, 0, "the write after destroy succeeded");
    cr_assert_eq(x.client_errs.count, 0, "client 'error' %s (%s)", eddy_err_name(x.client_errs.code),
                 x.client_errs.syscall);
    cr_assert_eq(x.client_closes, 1);
    cr_assert_eq(x.client_close_err, false);
    cr_assert_eq(x.server_errs.count, 1);
    cr_assert_eq(x.server_errs.code, -ECONNRESET, "server socket 'error' %s", eddy_err_name(x.server_errs.code));
    cr_assert_str_eq(x.server_errs.syscall, "read");
    cr_assert_eq(x.server_sock_closes, 1);
    cr_assert_eq(x.server_close_err, true);
    node_finish(&env);
}

Test(net_connect_reset_after_destroy, reset_then_write_fails_and_the_peer_sees_econnreset) { run(); }
