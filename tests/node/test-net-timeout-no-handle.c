/* Node test: test-net-timeout-no-handle.js
 * Asserts: setTimeout(50) on a socket that never connects (it has no handle) still emits
 * 'timeout' (while a 200 ms timer keeps the process alive), and never 'connect'.
 * eddy: eddy_socket_new + eddy_socket_set_timeout(50); a 200 ms timer keeps the loop alive
 * (a socket's timer does not, as in Node) and destroys the socket at the end. 'timeout'
 * must have come once. (s._handle === null has no C meaning.) */
#include "node_helpers.h"

static int timeouts, connects;

static void on_timeout(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; timeouts++; }
static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connects++; }
static void finish(void *arg) { eddy_socket_destroy(arg); }

Test(net_timeout_no_handle, timeout_fires_on_a_socket_that_never_connected)
{
    node_env env = node_start();
    eddy_socket *s = eddy_socket_new(env.loop, NULL);
    cr_assert_not_null(s);
    eddy_socket_set_timeout(s, 50, NULL, NULL);
    eddy_on(eddy_emitter_of(s), "timeout", on_timeout, NULL);
    eddy_on(eddy_emitter_of(s), "connect", on_connect, NULL);
    cr_assert_not_null(eddy_set_timeout(env.loop, 200, finish, s));
    node_run(&env, 5000);
    cr_assert_eq(timeouts, 1);
    cr_assert_eq(connects, 0);
    node_finish(&env);
}
