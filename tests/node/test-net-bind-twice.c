/* Node test: test-net-bind-twice.js
 * Asserts: a second server listening on the port of the first (127.0.0.1) gets 'error'
 * EADDRINUSE and never 'listening'.
 * eddy: two servers in one loop; the second's 'error' must be -EADDRINUSE with syscall
 * "listen"; it then closes the first (and itself, to be released). */
#include "node_helpers.h"

static int listenings2, conns;
static node_errors errs;
static eddy_server *srv1;

static void on_connection(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; conns++; }
static void on_listening2(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings2++; }

static void on_error2(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(srv1, NULL, NULL);
    eddy_server_close(ev->target, NULL, NULL);
}

static void on_listening1(const eddy_event *ev, void *ctx)
{
    eddy_server *srv2 = eddy_create_server(ctx, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(srv2), "error", on_error2, &errs);
    cr_assert_eq(eddy_server_listen(srv2, server_port(ev->target), "127.0.0.1", on_listening2, NULL), 0);
}

Test(net_bind_twice, second_listen_on_the_same_port_is_eaddrinuse)
{
    node_env env = node_start();
    srv1 = eddy_create_server(env.loop, NULL, on_connection, NULL);
    cr_assert_eq(eddy_server_listen(srv1, 0, "127.0.0.1", on_listening1, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert_eq(errs.code, -EADDRINUSE, "got %s", eddy_err_name(errs.code));
    cr_assert_str_eq(errs.syscall, "listen");
    cr_assert_eq(listenings2, 0);
    cr_assert_eq(conns, 0);
    node_finish(&env);
}
