/* Node test: test-net-listen-ipv6only.js
 * Asserts: a server listening on '::' with ipv6Only accepts no IPv4 connection: a client
 * to 0.0.0.0 on its port gets 'error' ECONNREFUSED and never 'connect'.
 * eddy: eddy_server_options.ipv6_only with host "::"; the client connects to "0.0.0.0"
 * (an IPv4 literal). Skipped without IPv6. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connects;
    node_errors errs;
};

static void c_connect(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->connects++; }

static void c_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    node_error_listener(ev, &x->errs);
    eddy_server_close(x->srv, NULL, NULL);
}

static void c_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (x->connects)
        eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "0.0.0.0", c_connect, x);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", c_error, x);
    eddy_on(eddy_emitter_of(c), "connect", end_target_listener, NULL);
    eddy_on(eddy_emitter_of(c), "close", c_close, x);
}

Test(net_listen_ipv6only, ipv4_client_is_refused)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6");
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server_options o = {.ipv6_only = true};
    x.srv = eddy_create_server(env.loop, &o, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "::", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.connects, 0);
    cr_assert_eq(x.errs.count, 1);
    cr_assert_eq(x.errs.code, -ECONNREFUSED, "got %s", eddy_err_name(x.errs.code));
    node_finish(&env);
}
