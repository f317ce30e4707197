/* Node test: test-net-listen-invalid-port.js
 * Asserts: listen(0) works (and its internal connection key is family:address:0); the
 * port 2^32 - 1 (-1 >>> 0) is refused with ERR_SOCKET_BAD_PORT by listen({port}),
 * listen(port) and listen(port, '0.0.0.0').
 * eddy: eddy_server_listen takes an int port; 2^32 - 1 does not fit one, so the values
 * tried are the ints Node's check would refuse too: 65536, INT_MAX and -1, with host NULL
 * and "0.0.0.0"; each returns -EINVAL and no 'listening' follows. listen(0) on the same
 * kind of server works. (_connectionKey is internal.) */
#include <limits.h>

#include "node_helpers.h"

static int listenings, bad_listenings;
static void must_not_listen(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; bad_listenings++; }
static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings++;
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_listen_invalid_port, out_of_range_ports_are_refused)
{
    node_env env = node_start();
    eddy_server *ok = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(ok, 0, NULL, on_listening, NULL), 0);
    const int bad[] = {65536, INT_MAX, -1};
    const char *hosts[] = {NULL, "0.0.0.0"};
    for (size_t i = 0; i < 3; i++)
        for (size_t h = 0; h < 2; h++) {
            eddy_server *s = eddy_create_server(env.loop, NULL, NULL, NULL);
            cr_assert_eq(eddy_server_listen(s, bad[i], hosts[h], must_not_listen, NULL), -EINVAL);
            eddy_server_close(s, NULL, NULL);
        }
    node_run(&env, 5000);
    cr_assert_eq(listenings, 1);
    cr_assert_eq(bad_listenings, 0);
    node_finish(&env);
}
