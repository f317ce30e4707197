/* Node test: test-net-socket-timeout-unref.js
 * Asserts: six unref'd client sockets with long timeouts (2..8 s), whose server and
 * accepted sockets are unref'd too, do not keep the process alive: it exits without any
 * timeout firing.
 * eddy: the same with eddy_server_unref / eddy_socket_unref and eddy_socket_set_timeout of
 * 2..8 s set once all six are connected; the loop must end by itself quickly and no
 * 'timeout' run. Everything is then destroyed and released by a second run. */
#include "node_helpers.h"

static const int delays[] = {8, 5, 3, 6, 2, 4};
#define N 6

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *clients[N], *conns[N];
    int nconns, connects, timeouts;
};

static void on_timeout(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->timeouts++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_write(ev->u.socket, "hello", 5, NULL, NULL);
    eddy_socket_unref(ev->u.socket);
    if (x->nconns < N)
        x->conns[x->nconns++] = ev->u.socket;
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->connects == N)
        for (int i = 0; i < N; i++) {
            eddy_socket_set_timeout(x->clients[i], (uint64_t)delays[i] * 1000, on_timeout, x);
            eddy_socket_unref(x->clients[i]);
        }
}

Test(net_socket_timeout_unref, unrefd_sockets_with_timeouts_do_not_hold_the_loop)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server_unref(x.srv);
    int port = server_port(x.srv);
    for (int i = 0; i < N; i++) {
        x.clients[i] = eddy_create_connection(env.loop, port, "127.0.0.1", on_connect, &x);
        cr_assert_not_null(x.clients[i]);
    }
    uint64_t t0 = mono_ns();
    node_run(&env, 20000);
    cr_assert_lt((mono_ns() - t0) / 1000000u, 1500u, "the loop waited for a socket timeout");
    cr_assert_eq(x.connects, N);
    cr_assert_eq(x.timeouts, 0);
    for (int i = 0; i < N; i++)
        eddy_socket_destroy(x.clients[i]);
    for (int i = 0; i < x.nconns; i++)
        eddy_socket_destroy(x.conns[i]);
    eddy_server_close(x.srv, NULL, NULL);
    node_run(&env, 5000);
    node_finish(&env);
}
