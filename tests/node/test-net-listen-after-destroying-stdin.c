/* Node test: test-net-listen-after-destroying-stdin.js
 * Asserts: after stdin was destroyed, a server still listens and accepts; the accepted
 * socket's end callback ('finish') and the server's close callback run.
 * eddy: stdin is closed (fd 0 is free, so the listening socket or a connection may get
 * descriptor 0: eddy must treat 0 as a valid fd); a client connects, the accepted
 * socket ends and the server closes in 'connection'; the connection's 'close' (eddy has
 * no end callback: README) and the server's on_close must run. stdin is restored
 * afterwards. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int conns, conn_closes, server_closes, listenings;
};

static void conn_close(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->conn_closes++; }
static void server_close(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->server_closes++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    eddy_on(eddy_emitter_of(ev->u.socket), "close", conn_close, x);
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(x->srv, server_close, x);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->listenings++;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL));
}

Test(net_listen_after_destroying_stdin, listen_and_accept_with_stdin_closed)
{
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);
    close(0);
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.listenings, 1);
    cr_assert_eq(x.conns, 1);
    cr_assert_eq(x.conn_closes, 1);
    cr_assert_eq(x.server_closes, 1);
    node_finish(&env);
    cr_assert_eq(fcntl(0, F_GETFD), -1, "descriptor 0 was left open");
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    }
}
