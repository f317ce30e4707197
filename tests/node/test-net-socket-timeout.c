/* Node test: test-net-socket-timeout.js
 * Asserts: setTimeout(1, cb) on a connecting socket fires (the client never sends
 * anything); in it the socket is destroyed and a further setTimeout(1, cb2) on the
 * destroyed socket is accepted and never calls cb2. (The delay and callback type checks
 * are JS argument validation.)
 * eddy: eddy_socket_set_timeout(c, 1, on_timeout) right after eddy_create_connection; in
 * it eddy_socket_destroy and eddy_socket_set_timeout(c, 1, must_not_run). Valid delays
 * (0, 1, 1e6 ms) on an unconnected socket are accepted as in Node. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int timeouts, late;
};

static void must_not_run(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->late++; }

static void on_timeout(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->timeouts++;
    eddy_socket_destroy(ev->target);
    eddy_socket_set_timeout(ev->target, 1, must_not_run, x);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_socket_set_timeout(c, 1, on_timeout, x);
}

static void keep_alive(void *arg) { (void)arg; }

Test(net_socket_timeout, timeout_on_a_connecting_socket_and_after_destroy)
{
    node_env env = node_start();
    eddy_socket *s = eddy_socket_new(env.loop, NULL);
    eddy_socket_set_timeout(s, 0, NULL, NULL);
    eddy_socket_set_timeout(s, 1, NULL, NULL);
    eddy_socket_set_timeout(s, 1000000, NULL, NULL);
    eddy_socket_destroy(s);
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    /* a short timer past the late timeout, so that it would have had its chance */
    cr_assert_not_null(eddy_set_timeout(env.loop, 100, keep_alive, NULL));
    node_run(&env, 5000);
    cr_assert_eq(x.timeouts, 1);
    cr_assert_eq(x.late, 0);
    node_finish(&env);
}
