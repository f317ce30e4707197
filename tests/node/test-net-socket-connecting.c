/* Node test: test-net-socket-connecting.js
 * Asserts: socket.connecting (and the legacy _connecting) is true right after
 * net.connect() and false in the connect callback; the server ends the connection and
 * closes.
 * eddy: eddy_socket_connecting right after eddy_create_connection and in on_connect (the
 * legacy getter is the same query). Also read, as node v20 gives them: pending true and
 * ready_state "opening" while connecting, pending false and "open" in on_connect. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connects;
    bool connecting_before, connecting_in_cb, pending_before, pending_in_cb;
    char state_before[16], state_in_cb[16];
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connects++;
    x->connecting_in_cb = eddy_socket_connecting(ev->target);
    x->pending_in_cb = eddy_socket_pending(ev->target);
    snprintf(x->state_in_cb, sizeof x->state_in_cb, "%s", eddy_socket_ready_state(ev->target));
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x);
    cr_assert_not_null(c);
    x->connecting_before = eddy_socket_connecting(c);
    x->pending_before = eddy_socket_pending(c);
    snprintf(x->state_before, sizeof x->state_before, "%s", eddy_socket_ready_state(c));
}

Test(net_socket_connecting, connecting_until_connect)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connects, 1);
    cr_assert_eq(x.connecting_before, true);
    cr_assert_eq(x.connecting_in_cb, false);
    cr_assert_eq(x.pending_before, true);
    cr_assert_eq(x.pending_in_cb, false);
    cr_assert_str_eq(x.state_before, "opening");
    cr_assert_str_eq(x.state_in_cb, "open");
    node_finish(&env);
}
