/* Node test: test-net-better-error-messages-port-hostname.js
 * Asserts: net.createConnection({port: 0, host: 'something.invalid', lookup}) with a
 * mocked lookup that fails (common/dns errorLookupMock: code ENOTFOUND, syscall
 * getaddrinfo) never connects; 'error' has that code and syscall, hostname
 * 'something.invalid', and neither port nor host.
 * eddy: the mock is a user resolver answering EDDY_ENOTFOUND; the error's syscall is
 * "getaddrinfo" for every lookup failure, u.error.hostname the name, u.error.address NULL
 * and port -1 (Node's absent fields). */
#include "node_helpers.h"

struct x {
    int resolver_calls, connects, errors;
    int code, port;
    bool address_null;
    char syscall[16], hostname[64];
};

static void error_lookup_mock(eddy_lookup *req, const char *host, int family, void *ctx)
{
    (void)host;
    (void)family;
    ((struct x *)ctx)->resolver_calls++;
    eddy_lookup_done(req, EDDY_ENOTFOUND, NULL, 0);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct x *)ctx)->connects++;
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->errors++;
    x->code = ev->u.error.code;
    x->port = ev->u.error.port;
    x->address_null = ev->u.error.address == NULL;
    snprintf(x->syscall, sizeof x->syscall, "%s", ev->u.error.syscall);
    snprintf(x->hostname, sizeof x->hostname, "%s",
             ev->u.error.hostname ? ev->u.error.hostname : "");
}

Test(net_better_error_messages_port_hostname, lookup_failure_names_the_host)
{
    node_env env = node_start();
    struct x x = {0};
    eddy_connect_options o = {
        .port = 0, .host = "something.invalid", .lookup = error_lookup_mock, .lookup_ctx = &x};
    eddy_socket *c = eddy_connect(env.loop, &o, on_connect, &x);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", on_error, &x);
    node_run(&env, 5000);
    cr_assert_eq(x.resolver_calls, 1);
    cr_assert_eq(x.connects, 0);
    cr_assert_eq(x.errors, 1);
    cr_assert_str_eq(eddy_err_name(x.code), "ENOTFOUND");
    cr_assert_str_eq(x.syscall, "getaddrinfo");
    cr_assert_str_eq(x.hostname, "something.invalid");
    cr_assert_eq(x.port, -1);
    cr_assert(x.address_null);
    node_finish(&env);
}
