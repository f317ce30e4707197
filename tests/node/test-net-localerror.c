/* Node test: test-net-localerror.js
 * Asserts: net.connect({host: 'localhost', port: 0, localAddress: 'foobar'}) throws
 * ERR_INVALID_IP_ADDRESS at once; localPort: 'foobar' throws ERR_INVALID_ARG_TYPE.
 * eddy: eddy_connect with local_address "foobar" returns NULL (bad options) and leaves
 * nothing behind; so do other strings that are not IP addresses ("::1x", as node v20
 * throws for it too). A string localPort is a JS type check (local_port is an int): no C
 * form. (node v20 does not range-check localPort: -1 or 65536 are not refused at once,
 * so they are not asserted here.) */
#include "node_helpers.h"

Test(net_localerror, local_address_that_is_not_an_ip_is_refused)
{
    node_env env = node_start();
    const char *bad[] = {"foobar", "::1x", "127.0.0.256"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eddy_connect_options o = {.host = "localhost", .port = 0, .local_address = bad[i]};
        cr_assert_null(eddy_connect(env.loop, &o, NULL, NULL), "local_address \"%s\" accepted", bad[i]);
        eddy_socket *s = eddy_socket_new(env.loop, NULL);
        cr_assert_not_null(s);
        cr_assert_eq(eddy_socket_connect_opts(s, &o, NULL, NULL), -EINVAL,
                     "eddy_socket_connect_opts accepted local_address \"%s\"", bad[i]);
        eddy_socket_destroy(s);
    }
    node_run(&env, 5000);
    node_finish(&env);
}
