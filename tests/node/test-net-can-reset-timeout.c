/* Node test: test-net-can-reset-timeout.js
 * Asserts: a server socket with setTimeout(100) gets 'timeout' once (a once listener),
 * writes from it (which resets the idle timer), the client ends on that data, and the
 * server socket gets 'end' and ends too.
 * eddy: eddy_socket_set_timeout(conn, 100, on_timeout) (a once listener); in it
 * eddy_socket_write("WHAT."); the client ends on 'data'; the conn's 'end' ends it. The
 * once listener must have run exactly once and the conn's 'end' must come. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int timeouts, conn_ends, client_datas;
};

static void on_timeout(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->timeouts++;
    eddy_socket_write(ev->target, "WHAT.", 5, NULL, NULL);
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conn_ends++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket_set_timeout(ev->u.socket, 100, on_timeout, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, ctx);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->client_datas++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void client_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct ctx *)ctx)->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "end", client_end, x);
}

Test(net_can_reset_timeout, write_in_timeout_then_both_sides_end)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.timeouts, 1);
    cr_assert_geq(x.client_datas, 1);
    cr_assert_eq(x.conn_ends, 1);
    node_finish(&env);
}
