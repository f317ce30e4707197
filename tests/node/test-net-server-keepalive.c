/* Node test: test-net-server-keepalive.js
 * Asserts: a server made with keepAlive true, keepAliveInitialDelay 1000 enables
 * keep-alive on each accepted handle before 'connection' with the server's delay (1 s);
 * then socket.setKeepAlive(true, 1000) is not passed on again (same value), while
 * (true, 2000) and (true, 3000) are (2 and 3 s).
 * eddy: eddy_server_options.keep_alive / keep_alive_initial_delay_ms. Node counts calls
 * into the handle; C reads what they did on the accepted descriptor (found with
 * node_fd_of): in 'connection' SO_KEEPALIVE is 1 and TCP_KEEPIDLE 1; after
 * eddy_socket_set_keep_alive(true, 1000 / 2000 / 3000) it is 1 / 2 / 3. Whether a call
 * with the same value reaches setsockopt is not observable (nor does it matter). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connections, keepalive, idle[4];
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *s = ev->u.socket;
    x->connections++;
    int fd = node_fd_of(s);
    cr_assert_geq(fd, 0, "the accepted socket's descriptor was not found");
    x->keepalive = node_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE);
    x->idle[0] = node_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE);
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(eddy_socket_set_keep_alive(s, true, 1000u * (unsigned)i), 0);
        x->idle[i] = node_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE);
    }
    eddy_socket_destroy(s);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL));
}

Test(net_server_keepalive, accepted_sockets_get_keep_alive)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server_options o = {.keep_alive = true, .keep_alive_initial_delay_ms = 1000};
    x.srv = eddy_create_server(env.loop, &o, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.keepalive, 1, "SO_KEEPALIVE %d in 'connection'", x.keepalive);
    cr_assert_eq(x.idle[0], 1, "TCP_KEEPIDLE %d in 'connection' (server's delay: 1 s)", x.idle[0]);
    for (int i = 1; i <= 3; i++)
        cr_assert_eq(x.idle[i], i, "TCP_KEEPIDLE %d after set_keep_alive(true, %d ms)", x.idle[i], 1000 * i);
    node_finish(&env);
}
