/* Node test: test-net-dns-lookup-skip.js
 * Asserts: connecting to an IP literal (127.0.0.1, and ::1 when IPv6 is there) does not
 * emit 'lookup' -- no name is resolved -- and the connection works (the server ends it).
 * eddy: literals skip the resolver: a listener on "lookup" must never run, and the
 * connection to each literal must be accepted and ended by the server. */
#include "node_helpers.h"

struct check {
    eddy_loop *loop;
    eddy_server *srv;
    const char *host;
    int lookups, conns, client_ends;
};

static void on_lookup(const eddy_event *ev, void *ctx) { (void)ev; ((struct check *)ctx)->lookups++; }
static void on_end(const eddy_event *ev, void *ctx) { (void)ev; ((struct check *)ctx)->client_ends++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct check *c = ctx;
    c->conns++;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(c->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct check *c = ctx;
    eddy_socket *s = eddy_create_connection(c->loop, server_port(ev->target), c->host, NULL, NULL);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "lookup", on_lookup, c);
    eddy_on(eddy_emitter_of(s), "end", on_end, c);
}

static void check(const char *host)
{
    node_env env = node_start();
    struct check c = {.loop = env.loop, .host = host};
    c.srv = eddy_create_server(env.loop, NULL, on_connection, &c);
    cr_assert_eq(eddy_server_listen(c.srv, 0, host, on_listening, &c), 0);
    node_run(&env, 5000);
    cr_assert_eq(c.lookups, 0);
    cr_assert_eq(c.conns, 1);
    cr_assert_eq(c.client_ends, 1);
    node_finish(&env);
}

Test(net_dns_lookup_skip, ipv4_literal_needs_no_lookup) { check("127.0.0.1"); }

Test(net_dns_lookup_skip, ipv6_literal_needs_no_lookup)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    check("::1");
}
