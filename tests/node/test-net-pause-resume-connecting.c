/* Node test: test-net-pause-resume-connecting.js
 * Asserts: pause()/resume() calls made while connecting take effect once connected, the
 * last call winning: of five clients (resume | pause,resume | pause | resume,pause,resume
 * | resume,resume,pause) the three whose last call is resume get 'data'; the two paused
 * ones get none within 100 ms (their 'data' listeners are then removed and they resume
 * to finish); the server saw 5 connections.
 * eddy: the same calls on eddy_create_connection's socket before 'connect' (documented:
 * "Before connect, the last call wins"); eddy_remove_all_listeners for the removal. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connections, data_events, bad_data;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_end(ev->u.socket, "This was the year he fell to pieces.", 36);
    if (++x->connections == 5)
        eddy_server_close(x->srv, NULL, NULL);
}

static void data_ok(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->data_events++; }
static void data_bad(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->bad_data++; }

static void tear_down(void *arg)
{
    eddy_socket *c = arg;
    eddy_remove_all_listeners(eddy_emitter_of(c), "data");
    eddy_socket_resume(c);
}

static eddy_socket *client(struct ctx *x, int port, const char *calls, bool ok)
{
    eddy_socket *c = eddy_create_connection(x->loop, port, "localhost", NULL, NULL);
    cr_assert_not_null(c);
    for (const char *p = calls; *p; p++)
        (*p == 'p' ? eddy_socket_pause : eddy_socket_resume)(c);
    eddy_on(eddy_emitter_of(c), "data", ok ? data_ok : data_bad, x);
    if (!ok)
        cr_assert_not_null(eddy_set_timeout(x->loop, 100, tear_down, c));
    return c;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    int port = server_port(ev->target);
    client(x, port, "r", true);
    client(x, port, "pr", true);
    client(x, port, "p", false);
    client(x, port, "rpr", true);
    client(x, port, "rrp", false);
}

Test(net_pause_resume_connecting, last_call_before_connect_wins)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.connections, 5);
    cr_assert_eq(x.data_events, 3);
    cr_assert_eq(x.bad_data, 0);
    node_finish(&env);
}
