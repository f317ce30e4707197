/* Node test: test-net-eaddrinuse.js
 * Asserts: listen() on the port of another server (default host) gives an error whose
 * message names EADDRINUSE.
 * eddy: both servers with host NULL (Node's listen(port)); the second's 'error' code is
 * -EADDRINUSE and eddy_strerror/eddy_err_name name it. */
#include "node_helpers.h"

static node_errors errs;
static eddy_server *srv1;

static void on_error2(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(srv1, NULL, NULL);
    eddy_server_close(ev->target, NULL, NULL);
}

static void on_listening1(const eddy_event *ev, void *ctx)
{
    eddy_server *srv2 = eddy_create_server(ctx, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv2), "error", on_error2, &errs);
    cr_assert_eq(eddy_server_listen(srv2, server_port(ev->target), NULL, NULL, NULL), 0);
}

Test(net_eaddrinuse, second_server_on_a_taken_port)
{
    node_env env = node_start();
    srv1 = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv1, 0, NULL, on_listening1, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert_str_eq(eddy_err_name(errs.code), "EADDRINUSE");
    cr_assert_str_eq(eddy_strerror(errs.code), "address already in use");
    node_finish(&env);
}
