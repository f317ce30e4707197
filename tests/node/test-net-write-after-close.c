/* Node test: test-net-write-after-close.js
 * Asserts: the client ends (allowHalfOpen false on both sides, so the server's socket
 * ends too); when the client gets 'end', a write on the server's socket, now closed,
 * calls its callback with an error, and the server's socket emits no 'error'.
 * eddy: an eddy object is released after its 'close' (Node's stays, garbage-collected),
 * and in eddy the server's socket has usually closed before the client's 'end' arrives.
 * So the write is made at the last moment the C object exists: in the server socket's own
 * 'close' listener, after the client's end() closed it. The write callback must get a
 * negative status (eddy documents -ECANCELED for a destroyed socket), and the server's
 * socket emits no 'error' (node v20: the test's mustNotCall). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *conn;
    node_errors conn_errs;
    int cbs, cb_status, conns;
};

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct ctx *x = ctx;
    x->cbs++;
    x->cb_status = status;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_conn_close(const eddy_event *ev, void *ctx)
{
    eddy_socket_write(ev->target, "test", 4, write_cb, ctx);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    x->conn = ev->u.socket;
    eddy_socket_resume(x->conn);
    eddy_on(eddy_emitter_of(x->conn), "error", node_error_listener, &x->conn_errs);
    eddy_on(eddy_emitter_of(x->conn), "close", on_conn_close, x);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_write_after_close, write_to_a_socket_that_ended_fails_in_its_callback)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.conns, 1);
    cr_assert_eq(x.cbs, 1);
    cr_assert_lt(x.cb_status, 0);
    cr_assert_eq(x.conn_errs.count, 0, "'error' %s [%s] on the server's socket",
                 eddy_err_name(x.conn_errs.code), x.conn_errs.syscall);
    node_finish(&env);
}
