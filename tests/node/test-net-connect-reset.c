/* Node test: test-net-connect-reset.js
 * Asserts: resetAndDestroy() on a new Socket that never connected emits 'error'
 * ERR_SOCKET_CLOSED (the listener is added after the call: the error comes later, from
 * the loop). Node then emits 'close' and the socket is destroyed.
 * eddy: eddy_socket_new(NULL options) then eddy_socket_reset_and_destroy; 'error' and
 * 'close' listeners added after the call. Expected as in Node: one 'error' (Node's
 * ERR_SOCKET_CLOSED has no errno: any negative code), then one 'close'(true), and the
 * socket reads as destroyed right after the call. */
#include "node_helpers.h"

struct ctx {
    node_errors errs;
    int closes;
    bool destroyed;
    net_log log;
};

Test(net_connect_reset, reset_of_a_socket_that_never_connected_emits_error)
{
    node_env env = node_start();
    struct ctx x = {0};
    eddy_socket *s = eddy_socket_new(env.loop, NULL);
    cr_assert_not_null(s);
    eddy_socket_reset_and_destroy(s);
    x.destroyed = eddy_socket_destroyed(s);
    eddy_on(eddy_emitter_of(s), "error", node_error_listener, &x.errs);
    eddy_on(eddy_emitter_of(s), "close", count_listener, &x.closes);
    net_record(&x.log, s, "socket", "error close");
    node_run(&env, 5000);
    cr_assert(x.destroyed, "not destroyed right after eddy_socket_reset_and_destroy");
    cr_assert_eq(x.errs.count, 1, "'error' (Node: ERR_SOCKET_CLOSED) came %d times; events: %s",
                 x.errs.count, x.log.text);
    cr_assert_lt(x.errs.code, 0);
    cr_assert_eq(x.closes, 1, "events: %s", x.log.text);
    node_finish(&env);
}
