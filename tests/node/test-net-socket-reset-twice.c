/* Node test: test-net-socket-reset-twice.js
 * Asserts: a connection to a server that was closed at once fails with 'error'; calling
 * resetAndDestroy() from that 'error' listener is harmless: 'close' still comes once.
 * eddy: listen on port 0, read the port right after the call, connect to 127.0.0.1 and
 * close the server at once (Node connects to "localhost" after a lookup, so its connect
 * always finds the port closed: here the client connects from the server's 'close', to
 * be sure it does too); eddy_socket_reset_and_destroy from the client's 'error'. Also
 * checked: the error is ECONNREFUSED (syscall connect) and 'close' is (true), as in Node. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    int port, closes;
    bool close_err;
    node_errors errs;
};

static void on_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    node_error_listener(ev, &x->errs);
    eddy_socket_reset_and_destroy(ev->target);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->close_err = ev->u.had_error;
}

static void server_closed(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, x->port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", on_error, x);
    eddy_on(eddy_emitter_of(c), "close", on_close, x);
}

Test(net_socket_reset_twice, reset_from_error_listener)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    x.port = server_port(srv);
    cr_assert_gt(x.port, 0);
    cr_assert_eq(eddy_server_close(srv, server_closed, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.errs.count, 1);
    cr_assert_eq(x.errs.code, -ECONNREFUSED, "'error' %s", eddy_err_name(x.errs.code));
    cr_assert_str_eq(x.errs.syscall, "connect");
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.close_err, true);
    node_finish(&env);
}
