/* Node test: test-net-dns-error.js
 * Asserts: net.connect(42, host) with host 64 '*' characters (a name no resolver knows)
 * never connects; 'lookup' has an error whose code is ENOTFOUND and no ip or type; 'error'
 * has code ENOTFOUND, exactly once.
 * eddy: the same through getaddrinfo on the worker pool; u.lookup.address NULL and family
 * 0 are Node's undefined. 'close'(true) follows 'error'. */
#include "node_helpers.h"

struct x {
    int lookups, errors, connects, closes;
    int lookup_code, error_code;
    bool lookup_address_null, close_had_error;
    int lookup_family;
    char syscall[16];
};

static void on_lookup(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->lookups++;
    x->lookup_code = ev->u.lookup.code;
    x->lookup_address_null = ev->u.lookup.address == NULL;
    x->lookup_family = ev->u.lookup.family;
}

static void on_error(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->errors++;
    x->error_code = ev->u.error.code;
    snprintf(x->syscall, sizeof x->syscall, "%s", ev->u.error.syscall);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct x *)ctx)->connects++;
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->closes++;
    x->close_had_error = ev->u.had_error;
}

Test(net_dns_error, a_name_that_does_not_resolve_is_enotfound_in_lookup_and_error)
{
    node_env env = node_start();
    char host[65];
    memset(host, '*', 64);
    host[64] = '\0';
    struct x x = {0};
    eddy_socket *s = eddy_create_connection(env.loop, 42, host, on_connect, &x);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "lookup", on_lookup, &x);
    eddy_on(eddy_emitter_of(s), "error", on_error, &x);
    eddy_on(eddy_emitter_of(s), "close", on_close, &x);
    node_run(&env, 10000);
    cr_assert_eq(x.connects, 0);
    cr_assert_eq(x.lookups, 1);
    cr_assert_str_eq(eddy_err_name(x.lookup_code), "ENOTFOUND");
    cr_assert(x.lookup_address_null);
    cr_assert_eq(x.lookup_family, 0);
    cr_assert_eq(x.errors, 1);
    cr_assert_str_eq(eddy_err_name(x.error_code), "ENOTFOUND");
    cr_assert_str_eq(x.syscall, "getaddrinfo");
    cr_assert_eq(x.closes, 1);
    cr_assert(x.close_had_error);
    node_finish(&env);
}
