/* Node test: test-net-persistent-keepalive.js
 * Asserts: setKeepAlive(true, 400) called before connect() persists: 600 ms after the
 * connection both sockets are still open (readyState 'open'); both are then ended and
 * the server closed.
 * eddy: eddy_socket_set_keep_alive(true, 400) before eddy_socket_connect; in 'connect'
 * the descriptor has SO_KEEPALIVE 1; 600 ms after 'connection' neither socket has closed
 * or errored (eddy has no readyState: README); then both end and the server closes. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client, *conn;
    int keepalive, closes_before, closes, checked;
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
    eddy_socket_set_timeout(x->conn, 0, NULL, NULL);
    eddy_on(eddy_emitter_of(x->conn), "close", on_close, x);
    eddy_on(eddy_emitter_of(x->conn), "error", node_error_listener, &x->errs);
    eddy_on(eddy_emitter_of(x->conn), "end", end_target_listener, NULL);
    cr_assert_not_null(eddy_set_timeout(x->loop, 600, check, x));
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    int fd = node_fd_of(ev->target);
    cr_assert_geq(fd, 0);
    x->keepalive = node_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = eddy_socket_new(x->loop, NULL);
    cr_assert_not_null(x->client);
    cr_assert_eq(eddy_socket_set_keep_alive(x->client, true, 400), 0);
    cr_assert_eq(eddy_socket_connect(x->client, server_port(ev->target), "127.0.0.1", on_connect, x), 0);
    eddy_socket_set_timeout(x->client, 0, NULL, NULL);
    eddy_on(eddy_emitter_of(x->client), "close", on_close, x);
    eddy_on(eddy_emitter_of(x->client), "error", node_error_listener, &x->errs);
}

Test(net_persistent_keepalive, keep_alive_set_before_connect_persists)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .keepalive = -1};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.keepalive, 1);
    cr_assert_eq(x.checked, 1);
    cr_assert_eq(x.closes_before, 0);
    cr_assert_eq(x.closes, 2);
    cr_assert_eq(x.errs.count, 0);
    node_finish(&env);
}
