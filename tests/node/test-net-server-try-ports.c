/* Node test: test-net-server-try-ports.js
 * Asserts: a server whose listen() failed with EADDRINUSE can listen again right away, in
 * its 'error' listener, on another (ephemeral) port; both servers then close.
 * eddy: eddy_server_listen again from the 'error' listener (eddy: a failed server is not
 * listening, so listen is allowed); its on_listening must run once. */
#include "node_helpers.h"

static int errors, listenings2, rc_relisten = 1;
static int err_code;
static eddy_server *srv1;

static void on_listening2(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings2++;
    eddy_server_close(srv1, NULL, NULL);
    eddy_server_close(ev->target, NULL, NULL);
}

static void on_error2(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    errors++;
    err_code = ev->u.error.code;
    rc_relisten = eddy_server_listen(ev->target, 0, NULL, on_listening2, NULL);
    if (rc_relisten != 0) {
        eddy_server_close(srv1, NULL, NULL);
        eddy_server_close(ev->target, NULL, NULL);
    }
}

static void on_listening1(const eddy_event *ev, void *ctx)
{
    eddy_server *srv2 = ctx;
    cr_assert_eq(eddy_server_listen(srv2, server_port(ev->target), NULL, NULL, NULL), 0);
}

Test(net_server_try_ports, listen_again_after_eaddrinuse)
{
    node_env env = node_start();
    srv1 = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_server *srv2 = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv2), "error", on_error2, NULL);
    cr_assert_eq(eddy_server_listen(srv1, 0, NULL, on_listening1, srv2), 0);
    node_run(&env, 5000);
    cr_assert_eq(errors, 1);
    cr_assert_eq(err_code, -EADDRINUSE);
    cr_assert_eq(rc_relisten, 0);
    cr_assert_eq(listenings2, 1);
    node_finish(&env);
}
