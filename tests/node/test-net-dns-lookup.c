/* Node test: test-net-dns-lookup.js
 * Asserts: net.connect(port, 'localhost') to a server on 127.0.0.1 emits 'lookup' with
 * (null, '127.0.0.1', 4, 'localhost') before connecting; the server ends the connection.
 * eddy: 'lookup' carries u.lookup {code, address, family, host}. Where this machine's
 * localhost has several addresses there is one 'lookup' per address (Node v20 with
 * autoSelectFamily does the same); the IPv4 one must be 127.0.0.1. */
#include "node_helpers.h"

struct x {
    eddy_loop *loop;
    eddy_server *srv;
    int lookups, ipv4_lookups, bad_lookups, connects;
};

static void on_lookup(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    x->lookups++;
    if (ev->u.lookup.code != 0 || strcmp(ev->u.lookup.host, "localhost") != 0)
        x->bad_lookups++;
    else if (ev->u.lookup.family == 4 && strcmp(ev->u.lookup.address, "127.0.0.1") == 0)
        x->ipv4_lookups++;
    else if (ev->u.lookup.family != 6)
        x->bad_lookups++;
    if (x->connects)
        x->bad_lookups++; /* 'lookup' comes before 'connect' */
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct x *)ctx)->connects++;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct x *x = ctx;
    eddy_socket *c =
        eddy_create_connection(x->loop, server_port(ev->target), "localhost", on_connect, x);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "lookup", on_lookup, x);
}

Test(net_dns_lookup, connect_to_localhost_emits_lookup_with_its_address)
{
    node_env env = node_start();
    struct x x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_geq(x.lookups, 1);
    cr_assert_eq(x.ipv4_lookups, 1);
    cr_assert_eq(x.bad_lookups, 0);
    cr_assert_eq(x.connects, 1);
    node_finish(&env);
}
