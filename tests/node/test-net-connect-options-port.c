/* Node test: test-net-connect-options-port.js
 * Asserts: every connect form (createConnection / connect / new Socket().connect, with
 * and without callback, port alone or with host 'localhost', family 4) refuses bad ports
 * synchronously (ERR_SOCKET_BAD_PORT: '', ' ', NaN, Infinity, -1, 65536, ...) and wrong
 * types (ERR_INVALID_ARG_TYPE); valid ports (as number, decimal string or hex string)
 * connect: 72 connections reach the server, which answers "ok"; after the server closed,
 * connecting to port 0 fails asynchronously with "connect E...".
 * eddy: the C forms are eddy_create_connection (with or without on_connect) and
 * eddy_socket_new + eddy_socket_connect (with or without on_connect), host NULL
 * ("localhost") or "localhost": 8 forms. Bad ports (-1, 65536, INT_MAX, INT_MIN): NULL
 * from eddy_create_connection, -EINVAL from eddy_socket_connect, nothing emitted. Valid:
 * each of the 8 forms connects 3 times (Node's number/string/hex collapse to one int) =
 * 24 connections, each gets "ok" then 'end'. Port 0 after the server closed: an 'error'
 * with syscall "connect" (node v20, checked: ECONNREFUSED), never 'connect'. */
#include <limits.h>

#include "node_helpers.h"

#define PER_FORM 3
#define FORMS 8

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, server_conns, connect_cbs, connect_events, oks, ends;
};

static void on_connect_cb(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->connect_cbs++; }
static void on_connect_ev(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->connect_events++; }
static void on_data(const eddy_event *ev, void *ctx)
{
    if (ev->u.data.len == 2 && memcmp(ev->u.data.bytes, "ok", 2) == 0)
        ((struct ctx *)ctx)->oks++;
}
static void on_end(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->ends++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_end(ev->u.socket, "ok", 2);
    if (++x->server_conns == PER_FORM * FORMS)
        eddy_server_close(x->srv, NULL, NULL);
}

static void connect_form(struct ctx *x, int form)
{
    const char *host = (form & 1) ? "localhost" : NULL;
    bool with_cb = form & 2;
    eddy_socket *s;
    if (form & 4) {
        s = eddy_socket_new(x->loop, NULL);
        cr_assert_not_null(s);
        cr_assert_eq(eddy_socket_connect(s, x->port, host, with_cb ? on_connect_cb : NULL, x), 0);
    } else {
        s = eddy_create_connection(x->loop, x->port, host, with_cb ? on_connect_cb : NULL, x);
        cr_assert_not_null(s);
    }
    if (!with_cb)
        eddy_on(eddy_emitter_of(s), "connect", on_connect_ev, x);
    eddy_on(eddy_emitter_of(s), "data", on_data, x);
    eddy_on(eddy_emitter_of(s), "end", on_end, x);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    for (int r = 0; r < PER_FORM; r++)
        for (int f = 0; f < FORMS; f++)
            connect_form(x, f);
}

Test(net_connect_options_port, valid_ports_connect_in_every_form)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.server_conns, PER_FORM * FORMS);
    cr_assert_eq(x.connect_cbs, PER_FORM * FORMS / 2);
    cr_assert_eq(x.connect_events, PER_FORM * FORMS / 2);
    cr_assert_eq(x.oks, PER_FORM * FORMS);
    cr_assert_eq(x.ends, PER_FORM * FORMS);
    node_finish(&env);
}

Test(net_connect_options_port, bad_ports_are_refused_synchronously)
{
    node_env env = node_start();
    const int bad[] = {-1, 65536, INT_MAX, INT_MIN};
    const char *hosts[] = {NULL, "localhost"};
    int dummy = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t h = 0; h < 2; h++) {
            cr_assert_null(eddy_create_connection(env.loop, bad[i], hosts[h], count_listener, &dummy),
                           "port %d accepted", bad[i]);
            eddy_socket *s = eddy_socket_new(env.loop, NULL);
            cr_assert_eq(eddy_socket_connect(s, bad[i], hosts[h], count_listener, &dummy), -EINVAL);
            eddy_socket_destroy(s);
        }
    node_run(&env, 5000);
    cr_assert_eq(dummy, 0);
    node_finish(&env);
}

struct fail {
    int connects, errors, closes;
    char syscall[16];
};

static void f_connect(const eddy_event *ev, void *ctx) { (void)ev; ((struct fail *)ctx)->connects++; }
static void f_error(const eddy_event *ev, void *ctx)
{
    struct fail *f = ctx;
    f->errors++;
    snprintf(f->syscall, sizeof f->syscall, "%s", ev->u.error.syscall);
}
static void f_close(const eddy_event *ev, void *ctx) { (void)ev; ((struct fail *)ctx)->closes++; }

Test(net_connect_options_port, port_zero_fails_asynchronously)
{
    node_env env = node_start();
    struct fail f = {0};
    for (int form = 0; form < 4; form++) {
        const char *host = (form & 1) ? "localhost" : NULL;
        eddy_socket *s;
        if (form & 2) {
            s = eddy_socket_new(env.loop, NULL);
            cr_assert_eq(eddy_socket_connect(s, 0, host, f_connect, &f), 0);
        } else {
            s = eddy_create_connection(env.loop, 0, host, f_connect, &f);
            cr_assert_not_null(s, "port 0 refused synchronously (Node: an async connect error)");
        }
        eddy_on(eddy_emitter_of(s), "error", f_error, &f);
        eddy_on(eddy_emitter_of(s), "close", f_close, &f);
    }
    node_run(&env, 5000);
    cr_assert_eq(f.connects, 0);
    cr_assert_eq(f.errors, 4);
    cr_assert_str_eq(f.syscall, "connect");
    cr_assert_eq(f.closes, 4);
    node_finish(&env);
}
