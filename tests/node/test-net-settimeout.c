/* Node test: test-net-settimeout.js
 * Asserts: setTimeout(100, cb) immediately followed by setTimeout(0) turns the timeout
 * off: neither the callback nor 'timeout' runs while the socket sits idle for 200 ms
 * after receiving "hello".
 * eddy: eddy_socket_set_timeout(c, 100, on_timeout) then eddy_socket_set_timeout(c, 0);
 * on 'data' a 200 ms timer destroys the client and closes the server. No 'timeout'.
 * (Node's setTimeout(0) also removes the once listener given with the 100; eddy leaves
 * it registered, which is harmless since 'timeout' never comes.) */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client;
    int timeouts, datas, conns;
};

static void on_timeout(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->timeouts++; }

static void finish(void *arg)
{
    struct ctx *x = arg;
    eddy_socket_destroy(x->client);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (x->datas++ == 0)
        cr_assert_not_null(eddy_set_timeout(x->loop, 200, finish, x));
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conns++;
    eddy_socket_write(ev->u.socket, "hello", 5, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = eddy_create_connection(x->loop, server_port(ev->target), "localhost", NULL, NULL);
    cr_assert_not_null(x->client);
    eddy_socket_set_timeout(x->client, 100, on_timeout, x);
    eddy_on(eddy_emitter_of(x->client), "timeout", on_timeout, x);
    eddy_on(eddy_emitter_of(x->client), "data", on_data, x);
    eddy_socket_set_timeout(x->client, 0, NULL, NULL);
}

Test(net_settimeout, timeout_zero_right_after_a_timeout_disables_it)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, NULL, on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.conns, 1);
    cr_assert_geq(x.datas, 1);
    cr_assert_eq(x.timeouts, 0);
    node_finish(&env);
}
