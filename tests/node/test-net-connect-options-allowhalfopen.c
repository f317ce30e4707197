/* Node test: test-net-connect-options-allowhalfopen.js
 * Asserts: six clients with allowHalfOpen (made in the six connect forms) to an
 * allowHalfOpen server that ends each connection at once: each client gets 'end' (once),
 * and 50 ms later is still writable -- write(String(index)) returns true -- then ends;
 * each server socket receives that index, gets 'end' once, and each client closes; the
 * server closes 50 ms after the sixth 'end'.
 * At that moment the client is not readable but writable.
 * eddy: the six Node forms become three, used twice each: eddy_socket_new with
 * eddy_socket_options.allow_half_open + eddy_socket_connect with on_connect, the same
 * with a 'connect' listener, and eddy_connect with eddy_connect_options.allow_half_open.
 * The write's return must be true and no 'error' may come; the server's sockets must have
 * received "1".."6"; eddy_socket_readable false and eddy_socket_writable true before it. */
#include "node_helpers.h"

#define CLIENTS 6

struct ctx;
struct client {
    struct ctx *x;
    int index;
    eddy_socket *s;
    int ends, closes;
    bool write_ret, readable, writable;
};

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    struct client c[CLIENTS];
    int conns, server_fins, server_closes, got_mask, bad_data;
    node_errors errs;
};

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (ev->u.data.len == 1 && ((const char *)ev->u.data.bytes)[0] >= '1' &&
        ((const char *)ev->u.data.bytes)[0] <= '6')
        x->got_mask |= 1 << (((const char *)ev->u.data.bytes)[0] - '1');
    else
        x->bad_data++;
}

static void close_server(void *arg) { eddy_server_close(((struct ctx *)arg)->srv, NULL, NULL); }

static void conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    if (++x->server_fins == CLIENTS)
        cr_assert_not_null(eddy_set_timeout(x->loop, 50, close_server, x));
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->conns++;
    eddy_socket_resume(ev->u.socket);
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, x);
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void write_later(void *arg)
{
    struct client *c = arg;
    char m = (char)('0' + c->index);
    c->readable = eddy_socket_readable(c->s);
    c->writable = eddy_socket_writable(c->s);
    c->write_ret = eddy_socket_write(c->s, &m, 1, NULL, NULL);
    eddy_socket_end(c->s, NULL, 0);
}

static void c_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct client *c = ctx;
    c->ends++;
    cr_assert_not_null(eddy_set_timeout(c->x->loop, 50, write_later, c));
}

static void c_close(const eddy_event *ev, void *ctx) { (void)ev; ((struct client *)ctx)->closes++; }

static void c_connect(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    eddy_socket_resume(ev->target);
    eddy_on(eddy_emitter_of(ev->target), "end", c_end, c);
    eddy_on(eddy_emitter_of(ev->target), "close", c_close, c);
    eddy_on(eddy_emitter_of(ev->target), "error", node_error_listener, &c->x->errs);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_options o = {.fd = -1, .allow_half_open = true};
    for (int i = 0; i < CLIENTS; i++) {
        struct client *c = &x->c[i];
        c->x = x;
        c->index = i + 1;
        if (i % 3 == 2) {
            eddy_connect_options co = {.host = "127.0.0.1", .port = server_port(ev->target),
                                       .allow_half_open = true};
            c->s = eddy_connect(x->loop, &co, c_connect, c);
            cr_assert_not_null(c->s);
            continue;
        }
        c->s = eddy_socket_new(x->loop, &o);
        cr_assert_not_null(c->s);
        bool with_cb = i % 3 == 1;
        cr_assert_eq(eddy_socket_connect(c->s, server_port(ev->target), "127.0.0.1",
                                         with_cb ? c_connect : NULL, c),
                     0);
        if (!with_cb)
            eddy_on(eddy_emitter_of(c->s), "connect", c_connect, c);
    }
}

Test(net_connect_options_allowhalfopen, half_open_clients_write_after_end)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    eddy_server_options so = {.allow_half_open = true};
    x.srv = eddy_create_server(env.loop, &so, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.conns, CLIENTS);
    for (int i = 0; i < CLIENTS; i++) {
        cr_assert_eq(x.c[i].ends, 1, "client %d", i + 1);
        cr_assert(x.c[i].write_ret, "client %d: write after 'end' returned false", i + 1);
        cr_assert_eq(x.c[i].readable, false, "client %d: readable after 'end'", i + 1);
        cr_assert_eq(x.c[i].writable, true, "client %d: not writable after 'end'", i + 1);
        cr_assert_eq(x.c[i].closes, 1);
    }
    cr_assert_eq(x.server_fins, CLIENTS);
    cr_assert_eq(x.got_mask, 0x3F);
    cr_assert_eq(x.bad_data, 0);
    cr_assert_eq(x.errs.count, 0, "%s", eddy_err_name(x.errs.code));
    node_finish(&env);
}
