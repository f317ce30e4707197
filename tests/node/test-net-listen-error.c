/* Node test: test-net-listen-error.js
 * Asserts: listen(1, '1.1.1.1') emits 'error' (EACCES or EADDRNOTAVAIL) and never calls
 * the listening callback.
 * eddy: the same call; 'error' counted once, the on_listening callback never. */
#include "node_helpers.h"

static int listenings;
static node_errors errs;

static void on_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings++; }
static void on_error(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_listen_error, listen_error_event_and_no_listening)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "error", on_error, &errs);
    cr_assert_eq(eddy_server_listen(srv, 1, "1.1.1.1", on_listening, NULL), 0);
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert(errs.code == -EADDRNOTAVAIL || errs.code == -EACCES);
    cr_assert_eq(listenings, 0);
    node_finish(&env);
}
