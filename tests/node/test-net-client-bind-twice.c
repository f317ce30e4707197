/* Node test: test-net-client-bind-twice.js
 * Asserts: two servers listen on 127.0.0.1; a client connects to the first with
 * localAddress 127.0.0.1 and localPort = the second server's port: it never connects and
 * gets 'error' EADDRINUSE; no server ever gets a connection.
 * eddy: eddy_connect with local_address/local_port. Also checked, as node v20 gives them:
 * syscall "bind", then 'close'(true). Not asserted (Node's test does not look at them):
 * node v20's err.address / err.port are the local address and port it tried to bind
 * ("127.0.0.1", localPort); eddy's u.error.address / u.error.port are NULL / -1 for a
 * "bind" failure (README: differences). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *s1, *s2;
    int listening, connections, connects, closes;
    bool close_err;
    node_errors errs;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->connections++;
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->connects++;
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    node_error_listener(ev, &x->errs);
    eddy_server_close(x->s1, NULL, NULL);
    eddy_server_close(x->s2, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    x->close_err = ev->u.had_error;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->listening < 2)
        return;
    eddy_connect_options o = {.host = "127.0.0.1", .port = server_port(x->s1),
                              .local_address = "127.0.0.1", .local_port = server_port(x->s2)};
    eddy_socket *c = eddy_connect(x->loop, &o, on_connect, x);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", on_error, x);
    eddy_on(eddy_emitter_of(c), "close", on_close, x);
}

Test(net_client_bind_twice, local_port_in_use_gives_eaddrinuse)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.s1 = eddy_create_server(env.loop, NULL, on_connection, &x);
    x.s2 = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.s1, 0, "127.0.0.1", on_listening, &x), 0);
    cr_assert_eq(eddy_server_listen(x.s2, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connects, 0);
    cr_assert_eq(x.connections, 0);
    cr_assert_eq(x.errs.count, 1);
    cr_assert_eq(x.errs.code, -EADDRINUSE, "'error' %s", eddy_err_name(x.errs.code));
    cr_assert_str_eq(x.errs.syscall, "bind");
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.close_err, true);
    node_finish(&env);
}
