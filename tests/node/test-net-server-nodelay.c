/* Node test: test-net-server-nodelay.js
 * Asserts: a server made with noDelay true sets noDelay on each accepted handle before
 * 'connection' (with the server's value); socket.setNoDelay(true) afterwards does not
 * call into the handle again.
 * eddy: eddy_server_options.no_delay. Node counts calls into the handle; C reads
 * TCP_NODELAY on the accepted descriptor (node_fd_of): 1 in 'connection', and still 1
 * after eddy_socket_set_no_delay(true) (which returns 0). A control server without the
 * option gives 0. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connections, nodelay, nodelay_after, set_rc;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *s = ev->u.socket;
    x->connections++;
    int fd = node_fd_of(s);
    cr_assert_geq(fd, 0, "the accepted socket's descriptor was not found");
    x->nodelay = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
    x->set_rc = eddy_socket_set_no_delay(s, true);
    x->nodelay_after = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
    eddy_socket_destroy(s);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL));
}

static void run(bool no_delay)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server_options o = {.no_delay = no_delay};
    x.srv = eddy_create_server(env.loop, &o, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.nodelay, no_delay ? 1 : 0, "TCP_NODELAY %d in 'connection'", x.nodelay);
    cr_assert_eq(x.set_rc, 0);
    cr_assert_eq(x.nodelay_after, 1);
    node_finish(&env);
}

Test(net_server_nodelay, accepted_sockets_get_no_delay) { run(true); }
Test(net_server_nodelay, without_the_option_no_delay_is_off) { run(false); }
