/* Node test: test-net-connect-options-ipv6.js
 * Asserts: a client connecting (family 6, allowHalfOpen) through a custom lookup that
 * maps the name 'dummy' to ::1 reaches an allowHalfOpen server on ::1 that ends at once;
 * 10 ms after the client's 'end' it is still writable and ends; the server socket sees
 * 'end' once; the client's 'close' closes the server.
 * eddy: no custom lookup and no names but "localhost" (README: needs API), so the client
 * connects to the literal ::1, with eddy_socket_options.allow_half_open; 10 ms after
 * 'end' a write must return true, then it ends. Skipped without IPv6 loopback. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client;
    int conn_ends, client_ends, client_closes;
    bool write_ret;
    eddy_address remote;
};

static void conn_end(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->conn_ends++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket_resume(ev->u.socket);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, ctx);
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void later(void *arg)
{
    struct ctx *x = arg;
    x->write_ret = eddy_socket_write(x->client, "x", 1, NULL, NULL);
    eddy_socket_end(x->client, NULL, 0);
}

static void c_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->client_ends++;
    cr_assert_not_null(eddy_set_timeout(x->loop, 10, later, x));
}

static void c_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->client_closes++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void c_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_remote_address(ev->target, &x->remote);
    eddy_socket_resume(ev->target);
    eddy_on(eddy_emitter_of(ev->target), "end", c_end, x);
    eddy_on(eddy_emitter_of(ev->target), "close", c_close, x);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_options o = {.fd = -1, .type = "tcp6", .allow_half_open = true};
    x->client = eddy_socket_new(x->loop, &o);
    cr_assert_not_null(x->client);
    cr_assert_eq(eddy_socket_connect(x->client, server_port(ev->target), "::1", c_connect, x), 0);
}

Test(net_connect_options_ipv6, half_open_client_over_ipv6)
{
    if (!ipv6_loopback_available())
        cr_skip_test("no IPv6 loopback");
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server_options so = {.allow_half_open = true};
    x.srv = eddy_create_server(env.loop, &so, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "::1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_str_eq(x.remote.family, "IPv6");
    cr_assert_str_eq(x.remote.address, "::1");
    cr_assert_eq(x.client_ends, 1);
    cr_assert(x.write_ret);
    cr_assert_eq(x.conn_ends, 1);
    cr_assert_eq(x.client_closes, 1);
    node_finish(&env);
}
