/* Node test: test-net-end-destroyed.js
 * Asserts: a client that calls end() in 'connect' gets 'end' (the server's socket, not
 * half-open, ends back) and is not destroyed yet inside that 'end' listener; the server
 * sees one connection.
 * eddy: eddy_socket_end in 'connect'; eddy_socket_destroyed read in the 'end' listener. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connections, connects, ends;
    bool destroyed_in_end;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->connections++;
}

static void on_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->ends++;
    x->destroyed_in_end = eddy_socket_destroyed(ev->target);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connects++;
    eddy_on(eddy_emitter_of(ev->target), "end", on_end, x);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_connect_options o = {.port = server_port(ev->target)};
    cr_assert_not_null(eddy_connect(x->loop, &o, on_connect, x));
}

Test(net_end_destroyed, not_destroyed_in_end)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, NULL, on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.connects, 1);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.destroyed_in_end, false);
    node_finish(&env);
}
