/* Node test: test-net-listen-close-server.js
 * Asserts: a server closed in the same tick as listen() never emits 'listening' nor
 * 'error'.
 * eddy: eddy_server_listen then eddy_server_close at once; 'listening' and 'error' must
 * stay at 0 and 'close' arrive once (Node emits it too). */
#include "node_helpers.h"

static int listenings, closes;
static node_errors errs;

static void on_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings++; }
static void on_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; closes++; }

Test(net_listen_close_server, close_right_after_listen)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "error", node_error_listener, &errs);
    eddy_on(eddy_emitter_of(srv), "close", on_close, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, NULL), 0);
    eddy_server_close(srv, NULL, NULL);
    node_run(&env, 5000);
    cr_assert_eq(listenings, 0);
    cr_assert_eq(errs.count, 0);
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
