/* Node test: test-net-socket-constructor.js
 * Asserts: socket.readable and socket.writable are both true for a new Socket(), for an
 * accepted socket, for a Socket made around an accepted socket's handle, for a client
 * while connecting and in its connect callback, and (in a cluster worker) for Sockets
 * made around inherited descriptors 4, 5 and 6 ({fd}, {fd, readable, writable}).
 * eddy: eddy_socket_readable / eddy_socket_writable on eddy_socket_new(NULL), on the
 * accepted socket, on the client while connecting and in on_connect; the handle and
 * inherited-fd cases are sockets made with eddy_socket_options.fd around a connected
 * descriptor (one end of a socketpair, type "unix"; with and without allow_half_open,
 * Node's readable/writable options having no eddy form), unreferenced as Node does. The
 * fd -1 / 'foo' checks are JS argument validation (eddy_socket_new with fd -1 means "no
 * fd"); cluster has no C meaning. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int checks, bad, connects, connections;
    char what_bad[256];
};

static void check(struct ctx *x, eddy_socket *s, const char *what)
{
    x->checks++;
    bool r = eddy_socket_readable(s), w = eddy_socket_writable(s);
    if (!r || !w) {
        x->bad++;
        size_t n = strlen(x->what_bad);
        snprintf(x->what_bad + n, sizeof x->what_bad - n, "%s(readable %d, writable %d) ", what, r, w);
    }
}

static void check_fd_socket(struct ctx *x, bool half_open, const char *what)
{
    int sp[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    eddy_socket_options o = {.fd = sp[0], .type = "unix", .allow_half_open = half_open};
    eddy_socket *s = eddy_socket_new(x->loop, &o);
    cr_assert_not_null(s, "eddy_socket_new around a connected fd");
    eddy_socket_unref(s);
    check(x, s, what);
    eddy_socket_destroy(s);
    close(sp[1]);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connections++;
    eddy_socket_unref(ev->u.socket);
    check(x, ev->u.socket, "accepted");
    check_fd_socket(x, false, "{fd}");
    check_fd_socket(x, true, "{fd, allow_half_open}");
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connects++;
    check(x, ev->target, "connected");
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x);
    cr_assert_not_null(c);
    check(x, c, "connecting");
}

Test(net_socket_constructor, readable_and_writable)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_socket *fresh = eddy_socket_new(env.loop, NULL);
    cr_assert_not_null(fresh);
    eddy_socket_unref(fresh);
    check(&x, fresh, "new");
    eddy_socket_destroy(fresh);
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.connects, 1);
    cr_assert_eq(x.checks, 6);
    cr_assert_eq(x.bad, 0, "not readable and writable: %s", x.what_bad);
    node_finish(&env);
}
