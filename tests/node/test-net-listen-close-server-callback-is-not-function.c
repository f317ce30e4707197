/* Node test: test-net-listen-close-server-callback-is-not-function.js
 * Asserts: server.close() given a callback argument that is not a function still closes
 * the server: 'close' is emitted once, 'listening' never (close in the tick of listen).
 * eddy: C has no wrongly typed callback; the nearest is a NULL on_close, so the test is
 * eddy_server_close(srv, NULL, NULL) right after listen: 'close' once, no 'listening'. */
#include "node_helpers.h"

static int listenings, closes, connections;

static void on_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings++; }
static void on_close(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; closes++; }
static void on_connection(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connections++; }

Test(net_listen_close_server_cb, close_without_callback_still_emits_close)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(srv), "close", on_close, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, on_listening, NULL), 0);
    eddy_server_close(srv, NULL, NULL);
    node_run(&env, 5000);
    cr_assert_eq(closes, 1);
    cr_assert_eq(listenings, 0);
    cr_assert_eq(connections, 0);
    node_finish(&env);
}
