/* Node test: test-net-remote-address-port.js
 * Asserts: two clients (one to 127.0.0.1, one to the default host); on both sides the
 * remote address is a loopback address ('127.0.0.1', '::1' or '::ffff:127.0.0.1') with
 * family IPv4/IPv6, also in 'close'; the server sees a remote port that is not its own;
 * the client's remotePort is the server's port; before 'connect' the client's remote
 * address is undefined.
 * eddy: eddy_socket_remote_address on both sides in 'connection'/'connect' and in
 * 'close'; the server listens with host NULL and the second client uses host NULL
 * ("localhost"). Before 'connect', -ENOTCONN is expected (Node: undefined) -- see
 * test-net-remote-address, where eddy differs. This file checks only what happens from
 * 'connect' on, so it stays runnable. */
#include "node_helpers.h"

static const char *const candidates[] = {"127.0.0.1", "::1", "::ffff:127.0.0.1", NULL};
static const char *const families[] = {"IPv4", "IPv6", NULL};

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, conns, conn_ends, client_connects, client_closes, bad;
    char why[256];
};

static void check_remote(struct ctx *x, const eddy_socket *s, const char *where, int want_port)
{
    eddy_address a;
    if (eddy_socket_remote_address(s, &a) != 0 || !str_is_one_of(a.address, candidates) ||
        !str_is_one_of(a.family, families) || (want_port && a.port != want_port) || a.port <= 0) {
        x->bad++;
        snprintf(x->why, sizeof x->why, "%s: %s %s:%d", where, a.family, a.address, a.port);
    }
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->conn_ends == 2)
        eddy_server_close(x->srv, NULL, NULL);
}

static void conn_close(const eddy_event *ev, void *ctx) { check_remote(ctx, ev->target, "conn close", 0); }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    check_remote(x, ev->u.socket, "connection", 0);
    eddy_address a;
    eddy_socket_remote_address(ev->u.socket, &a);
    if (a.port == x->port)
        x->bad++;
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", conn_close, x);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_connects++;
    check_remote(x, ev->target, "connect", x->port);
    eddy_socket_end(ev->target, NULL, 0);
}

static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_closes++;
    check_remote(x, ev->target, "client close", 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    eddy_socket *c1 = eddy_create_connection(x->loop, x->port, "127.0.0.1", client_connect, x);
    eddy_socket *c2 = eddy_create_connection(x->loop, x->port, NULL, client_connect, x);
    cr_assert_not_null(c1);
    cr_assert_not_null(c2);
    eddy_on(eddy_emitter_of(c1), "close", client_close, x);
    eddy_on(eddy_emitter_of(c2), "close", client_close, x);
}

Test(net_remote_address_port, remote_addresses_on_both_sides)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, NULL, on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.conns, 2);
    cr_assert_eq(x.client_connects, 2);
    cr_assert_eq(x.client_closes, 2);
    cr_assert_eq(x.bad, 0, "%s", x.why);
    node_finish(&env);
}
