/* Node test: test-net-server-listen-options.js
 * Asserts: listen(), listen(cb), listen(0), listen({port: 0}), and listen(port, cb) /
 * listen({port}, cb) with port '0', 0, undefined or null all listen on an ephemeral port
 * and emit 'listening'; invalid ports (-1, NaN, 123.456, 65536, +-Infinity) throw
 * ERR_SOCKET_BAD_PORT; port wins over path in listen({port: -1, path}); option objects
 * without port or path, or of the wrong type, throw ERR_INVALID_ARG_VALUE.
 * eddy: one C form, eddy_server_listen(s, port, host, cb, ctx): port 0 with host NULL, with
 * and without on_listening (a 'listening' listener then) must each emit 'listening' once;
 * -1 and 65536 (and INT_MAX, INT_MIN) must return -EINVAL and leave the server not
 * listening (eddy_server_address -ENOTCONN) -- such a server is then released with
 * eddy_server_close. NaN, fractions, strings and option objects have no C form. */
#include <limits.h>

#include "node_helpers.h"

static int listenings;

static void close_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings++;
    int port = server_port(ev->target);
    cr_assert_gt(port, 0);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_server_listen_options, port_zero_listens_on_an_ephemeral_port)
{
    node_env env = node_start();
    for (int i = 0; i < 2; i++) {
        eddy_server *s = eddy_create_server(env.loop, NULL, NULL, NULL);
        cr_assert_eq(eddy_server_listen(s, 0, NULL, close_on_listening, NULL), 0);
        eddy_server *t = eddy_create_server(env.loop, NULL, NULL, NULL);
        eddy_on(eddy_emitter_of(t), "listening", close_on_listening, NULL);
        cr_assert_eq(eddy_server_listen(t, 0, NULL, NULL, NULL), 0);
    }
    node_run(&env, 5000);
    cr_assert_eq(listenings, 4);
    node_finish(&env);
}

static int bad_listenings;
static void must_not_listen(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; bad_listenings++; }

Test(net_server_listen_options, invalid_ports_are_refused)
{
    node_env env = node_start();
    const int bad[] = {-1, 65536, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eddy_server *s = eddy_create_server(env.loop, NULL, NULL, NULL);
        cr_assert_eq(eddy_server_listen(s, bad[i], NULL, must_not_listen, NULL), -EINVAL,
                     "port %d", bad[i]);
        eddy_address a;
        cr_assert_eq(eddy_server_address(s, &a), -ENOTCONN);
        eddy_server_close(s, NULL, NULL);
    }
    node_run(&env, 5000);
    cr_assert_eq(bad_listenings, 0);
    node_finish(&env);
}
