/* Node test: test-net-connect-reset-until-connected.js
 * Asserts: once both the client's 'connect' and the server's 'connection' happened (a
 * barrier of 2), the client is reset with resetAndDestroy(); the client emits 'close';
 * the server's socket gets 'error' ECONNRESET ("read ECONNRESET").
 * eddy: the same barrier, then eddy_socket_reset_and_destroy on the client. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *conn;
    int barrier, client_closes;
    node_errors server_errs;
};

static void connok(struct ctx *x)
{
    if (--x->barrier == 0)
        eddy_socket_reset_and_destroy(x->conn);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "error", node_error_listener, &x->server_errs);
    connok(x);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    connok(ctx);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conn = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(x->conn);
    eddy_on(eddy_emitter_of(x->conn), "close", count_listener, &x->client_closes);
    eddy_on(eddy_emitter_of(x->conn), "connect", on_connect, x);
}

Test(net_connect_reset_until_connected, reset_once_both_sides_connected)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .barrier = 2};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.barrier, 0);
    cr_assert_eq(x.client_closes, 1);
    cr_assert_eq(x.server_errs.count, 1);
    cr_assert_eq(x.server_errs.code, -ECONNRESET, "server socket 'error' %s", eddy_err_name(x.server_errs.code));
    cr_assert_str_eq(x.server_errs.syscall, "read");
    node_finish(&env);
}
