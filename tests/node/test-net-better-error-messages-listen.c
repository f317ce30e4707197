/* Node test: test-net-better-error-messages-listen.js
 * Asserts: listen(1, '1.1.1.1') fails with an 'error' whose syscall is 'listen' (and whose
 * address and port fields are '1.1.1.1' and 1); 'listening' never comes.
 * eddy: eddy_server_listen(srv, 1, "1.1.1.1") -> a later 'error' with syscall "listen"
 * (EADDRNOTAVAIL: the address is not local; EACCES would also be Node's answer for a
 * privileged port), whose u.error.address and u.error.port are "1.1.1.1" and 1. */
#include "node_helpers.h"

static int listenings;
static node_errors errs;

static void on_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings++; }
static void on_error(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_better_error_messages_listen, listen_on_a_foreign_address_is_a_listen_error)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "error", on_error, &errs);
    cr_assert_eq(eddy_server_listen(srv, 1, "1.1.1.1", on_listening, NULL), 0);
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert(errs.code == -EADDRNOTAVAIL || errs.code == -EACCES, "got %s",
              eddy_err_name(errs.code));
    cr_assert_str_eq(errs.syscall, "listen");
    cr_assert_str_eq(errs.address, "1.1.1.1");
    cr_assert_eq(errs.port, 1);
    cr_assert_eq(listenings, 0);
    node_finish(&env);
}
