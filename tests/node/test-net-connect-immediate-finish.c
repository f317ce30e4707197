/* Node test: test-net-connect-immediate-finish.js
 * Asserts: net.connect({host: 'something.invalid', port: 80, lookup}) with a mocked lookup
 * that fails (ENOTFOUND, syscall getaddrinfo), then client.end() at once: 'error' still
 * comes, with that code and syscall and hostname 'something.invalid'.
 * eddy: the mock is a user resolver answering EDDY_ENOTFOUND later (from a timer, as
 * Node's mock answers asynchronously); eddy_socket_end before the connection only marks
 * the socket ended. */
#include "node_helpers.h"

struct x {
    eddy_lookup *req;
    int errors, code;
    char syscall[16], hostname[64];
};

static void answer(void *arg)
{
    struct x *x = arg;
    eddy_lookup_done(x->req, EDDY_ENOTFOUND, NULL, 0);
}

static eddy_loop *the_loop;

static void error_lookup_mock(eddy_lookup *req, const char *host, int family, void *ctx)
{
    (void)host;
    (void)family;
    struct x *x = ctx;
    x->req = req;
    eddy_set_timeout(the_loop, 1, answer, x);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->errors++;
    x->code = ev->u.error.code;
    snprintf(x->syscall, sizeof x->syscall, "%s", ev->u.error.syscall);
    snprintf(x->hostname, sizeof x->hostname, "%s",
             ev->u.error.hostname ? ev->u.error.hostname : "");
}

Test(net_connect_immediate_finish, end_during_a_failing_lookup_still_gets_the_error)
{
    node_env env = node_start();
    the_loop = env.loop;
    struct x x = {0};
    eddy_connect_options o = {
        .port = 80, .host = "something.invalid", .lookup = error_lookup_mock, .lookup_ctx = &x};
    eddy_socket *c = eddy_connect(env.loop, &o, NULL, NULL);
    cr_assert_not_null(c);
    eddy_once(eddy_emitter_of(c), "error", on_error, &x);
    cr_assert_eq(eddy_socket_end(c, NULL, 0), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.errors, 1);
    cr_assert_str_eq(eddy_err_name(x.code), "ENOTFOUND");
    cr_assert_str_eq(x.syscall, "getaddrinfo");
    cr_assert_str_eq(x.hostname, "something.invalid");
    node_finish(&env);
}
