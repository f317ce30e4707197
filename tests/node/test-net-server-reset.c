/* Node test: test-net-server-reset.js
 * Asserts: when the second connection arrives the server is closed (close() returns the
 * server) and both accepted sockets are reset with resetAndDestroy(); each accepted
 * socket emits 'close', the server emits 'close', and each client gets 'error'
 * ECONNRESET.
 * eddy: eddy_server_close (returns 0) then eddy_socket_reset_and_destroy on both accepted
 * sockets; the clients only connect (Node's createConnection with an 'error' listener). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *socks[2];
    int nsocks, sock_closes, server_closes, close_rc;
    node_errors client_errs[2];
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "close", count_listener, &x->sock_closes);
    x->socks[x->nsocks++] = ev->u.socket;
    if (x->nsocks == 2) {
        x->close_rc = eddy_server_close(x->srv, NULL, NULL);
        for (int i = 0; i < 2; i++)
            eddy_socket_reset_and_destroy(x->socks[i]);
    }
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    for (int i = 0; i < 2; i++) {
        eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
        cr_assert_not_null(c);
        eddy_on(eddy_emitter_of(c), "error", node_error_listener, &x->client_errs[i]);
    }
}

Test(net_server_reset, reset_accepted_sockets)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    eddy_on(eddy_emitter_of(x.srv), "close", count_listener, &x.server_closes);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.nsocks, 2);
    cr_assert_eq(x.close_rc, 0);
    cr_assert_eq(x.sock_closes, 2);
    cr_assert_eq(x.server_closes, 1);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(x.client_errs[i].count, 1, "client %d: %d 'error'", i, x.client_errs[i].count);
        cr_assert_eq(x.client_errs[i].code, -ECONNRESET, "client %d: 'error' %s", i,
                     eddy_err_name(x.client_errs[i].code));
    }
    node_finish(&env);
}
