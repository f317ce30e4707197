/* Node test: test-net-keepalive.js
 * Asserts: a server socket with setKeepAlive(true, 50) (and setTimeout(0)) stays open:
 * 100 ms later both it and the client are still open; both are then ended and the server
 * closed (that timer runs once).
 * eddy: eddy_socket_set_keep_alive(conn, true, 50) returns 0 and sets SO_KEEPALIVE on the
 * descriptor; after 100 ms no 'close' or 'error' has come on either side (eddy has no
 * readyState: README); then both end and the server closes. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client, *conn;
    int keepalive, rc, closes_before, closes, checked;
    node_errors errs;
};

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->closes++;
}

static void check(void *arg)
{
    struct ctx *x = arg;
    x->checked++;
    x->closes_before = x->closes;
    eddy_socket_end(x->conn, NULL, 0);
    eddy_socket_end(x->client, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conn = ev->u.socket;
    cr_assert_not_null(eddy_set_timeout(x->loop, 100, check, x));
    eddy_socket_set_timeout(x->conn, 0, NULL, NULL);
    x->rc = eddy_socket_set_keep_alive(x->conn, true, 50);
    int fd = node_fd_of(x->conn);
    cr_assert_geq(fd, 0);
    x->keepalive = node_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE);
    eddy_on(eddy_emitter_of(x->conn), "close", on_close, x);
    eddy_on(eddy_emitter_of(x->conn), "error", node_error_listener, &x->errs);
    eddy_on(eddy_emitter_of(x->conn), "end", end_target_listener, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(x->client);
    eddy_socket_set_timeout(x->client, 0, NULL, NULL);
    eddy_on(eddy_emitter_of(x->client), "close", on_close, x);
    eddy_on(eddy_emitter_of(x->client), "error", node_error_listener, &x->errs);
}

Test(net_keepalive, keep_alive_on_an_accepted_socket)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .keepalive = -1, .rc = 1};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.rc, 0);
    cr_assert_eq(x.keepalive, 1);
    cr_assert_eq(x.checked, 1);
    cr_assert_eq(x.closes_before, 0);
    cr_assert_eq(x.closes, 2);
    cr_assert_eq(x.errs.count, 0);
    node_finish(&env);
}
