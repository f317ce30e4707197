/* Node test: test-net-dns-custom-lookup.js
 * Asserts: net.connect({port, host: 'localhost', lookup}) with a lookup of the test's own
 * (dns.lookup with the family forced to 4, then 6) emits 'lookup' with (null, '127.0.0.1',
 * 4) and (null, '::1', 6), and connects to a server on that address (when IPv6 is there).
 * eddy: eddy_connect_options.lookup; the resolver answers "localhost" from a table by the
 * family it forces (this machine's /etc/hosts need not have ::1 for localhost, which
 * dns.lookup would need), synchronously; eddy still emits 'lookup' from the loop. */
#include "node_helpers.h"

struct x {
    eddy_loop *loop;
    eddy_server *srv;
    int family;
    int lookups, ok_lookups, resolver_calls, conns;
    char host_seen[32];
};

static void resolver(eddy_lookup *req, const char *host, int family, void *ctx)
{
    struct x *x = ctx;
    (void)family;
    x->resolver_calls++;
    snprintf(x->host_seen, sizeof x->host_seen, "%s", host);
    const char *addr = x->family == 4 ? "127.0.0.1" : "::1";
    cr_assert_eq(eddy_lookup_done(req, 0, &addr, 1), 0);
}

static void on_lookup(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->lookups++;
    const char *want = x->family == 4 ? "127.0.0.1" : "::1";
    if (ev->u.lookup.code == 0 && strcmp(ev->u.lookup.address, want) == 0 &&
        ev->u.lookup.family == x->family)
        x->ok_lookups++;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->conns++;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    eddy_connect_options o = {
        .port = server_port(ev->target), .host = "localhost", .lookup = resolver, .lookup_ctx = x};
    eddy_socket *c = eddy_connect(x->loop, &o, NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "lookup", on_lookup, x);
}

static void check(int family)
{
    node_env env = node_start();
    struct x x = {.loop = env.loop, .family = family};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, family == 4 ? "127.0.0.1" : "::1", on_listening, &x),
                 0);
    node_run(&env, 5000);
    cr_assert_eq(x.resolver_calls, 1);
    cr_assert_str_eq(x.host_seen, "localhost");
    cr_assert_eq(x.lookups, 1);
    cr_assert_eq(x.ok_lookups, 1);
    cr_assert_eq(x.conns, 1);
    node_finish(&env);
}

Test(net_dns_custom_lookup, ipv4)
{
    check(4);
}

Test(net_dns_custom_lookup, ipv6)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    check(6);
}
