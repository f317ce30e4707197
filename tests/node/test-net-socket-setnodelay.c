/* Node test: test-net-socket-setnodelay.js
 * Asserts (with fake handles): setNoDelay() with no argument means true; truthy values
 * call the handle's setNoDelay(true); falsy values on a socket that never had it on do
 * not call it at all; mixing them calls it on every change; a handle without setNoDelay is
 * skipped; setNoDelay returns the socket.
 * eddy: a C bool has no "no argument" and no truthy/falsy; what remains is the effect on a
 * real connected socket: eddy_socket_set_no_delay(true) returns 0 and TCP_NODELAY is 1;
 * (false) turns it off again, and true/false/true ends on. On a UNIX socket (a handle
 * without the option) it returns without harm. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int on1, off, on2, rc, unix_rc, checks;
};

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->target;
    int fd = node_fd_of(c);
    cr_assert_geq(fd, 0);
    x->rc |= eddy_socket_set_no_delay(c, true);
    x->on1 = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
    x->rc |= eddy_socket_set_no_delay(c, false);
    x->off = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
    x->rc |= eddy_socket_set_no_delay(c, true);
    x->rc |= eddy_socket_set_no_delay(c, false);
    x->rc |= eddy_socket_set_no_delay(c, true);
    x->on2 = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
    x->checks++;
    eddy_socket_end(c, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_socket_setnodelay, no_delay_follows_the_last_call)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.checks, 1);
    cr_assert_eq(x.rc, 0);
    cr_assert_eq(x.on1, 1);
    cr_assert_eq(x.off, 0);
    cr_assert_eq(x.on2, 1);
    node_finish(&env);
}

static void unix_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->unix_rc = eddy_socket_set_no_delay(ev->target, true);
    x->checks++;
    eddy_socket_end(ev->target, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void unix_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    eddy_address a;
    cr_assert_eq(eddy_server_address(x->srv, &a), 0);
    cr_assert_not_null(eddy_create_connection_path(x->loop, a.address, unix_connect, x));
}

Test(net_socket_setnodelay, on_a_unix_socket_it_is_harmless)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char path[256];
    node_tmpdir_path(&t, "sock", path, sizeof path);
    struct ctx x = {.loop = env.loop, .unix_rc = 1};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen_path(x.srv, path, unix_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.checks, 1);
    cr_assert_eq(x.unix_rc, 0, "set_no_delay on a UNIX socket: %s", eddy_err_name(x.unix_rc));
    node_tmpdir_remove(&t);
    node_finish(&env);
}
