/* Node test: test-net-persistent-nodelay.js
 * Asserts: setNoDelay() called before connect() (before the handle exists) is applied
 * once the socket is connected: the handle's setNoDelay is called exactly once by 'end'.
 * eddy: eddy_socket_set_no_delay(true) on a socket from eddy_socket_new, then
 * eddy_socket_connect; in 'connect' the descriptor has TCP_NODELAY 1 (counting the
 * internal call has no public equivalent: the socket option is what it does). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int nodelay, ends, rc;
};

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    int fd = node_fd_of(ev->target);
    cr_assert_geq(fd, 0);
    x->nodelay = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->ends++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_socket_new(x->loop, NULL);
    cr_assert_not_null(c);
    x->rc = eddy_socket_set_no_delay(c, true);
    cr_assert_eq(eddy_socket_connect(c, server_port(ev->target), "127.0.0.1", on_connect, x), 0);
    eddy_on(eddy_emitter_of(c), "end", on_end, x);
}

Test(net_persistent_nodelay, no_delay_set_before_connect_is_applied)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .nodelay = -1};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.rc, 0);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.nodelay, 1);
    node_finish(&env);
}
