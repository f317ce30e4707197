/* Node test: test-net-connect-reset-before-connected.js
 * Asserts: a socket that is reset (resetAndDestroy, then destroy) while it is still
 * connecting never emits 'connect' nor 'error' (the server is closed at the same time).
 * eddy: the server listens on port 0 (its address is read right after the listen call,
 * as Node does), the client connects to 127.0.0.1 with an on_connect that must not run,
 * the server is closed, then eddy_socket_reset_and_destroy and eddy_socket_destroy.
 * Node then emits 'close'(false) once: checked too, with the server's 'close'. */
#include "node_helpers.h"

struct ctx {
    int connects, closes, server_closes;
    bool close_err;
    node_errors errs;
};

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->connects++;
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->close_err = ev->u.had_error;
}

Test(net_connect_reset_before_connected, reset_while_connecting)
{
    node_env env = node_start();
    struct ctx x = {0};
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL), 0);
    int port = server_port(srv);
    cr_assert_gt(port, 0);
    eddy_socket *s = eddy_create_connection(env.loop, port, "127.0.0.1", on_connect, &x);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "error", node_error_listener, &x.errs);
    eddy_on(eddy_emitter_of(s), "close", on_close, &x);
    cr_assert_eq(eddy_server_close(srv, count_listener, &x.server_closes), 0);
    eddy_socket_reset_and_destroy(s);
    eddy_socket_destroy(s);
    node_run(&env, 5000);
    cr_assert_eq(x.connects, 0);
    cr_assert_eq(x.errs.count, 0, "'error' %s", eddy_err_name(x.errs.code));
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.close_err, false);
    cr_assert_eq(x.server_closes, 1);
    node_finish(&env);
}
