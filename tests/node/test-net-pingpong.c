/* Node test: test-net-pingpong.js
 * Asserts: over a UNIX socket, TCP on the default host and TCP on ::1 (127.0.0.1 without
 * IPv6): N+1 PING/PONG round trips (N = 1000) between a client (ascii) and an
 * allowHalfOpen server (utf8, noDelay): the server has 1 connection (getConnections),
 * its bufferSize stays within one message, every PONG's write callback runs, the client
 * ends after the last PING and the half-open server socket still answers it and then
 * ends in 'end'; its 'close' closes the server; no 'error' on either side.
 * eddy: eddy_server_connections is 1 in 'connection'; eddy_socket_buffer_size <= 4 in
 * each 'data'. The readable/writable flags have no eddy query (README: needs API); they
 * are replaced by what they imply: the last PONG arrives after the client's end(). Each
 * 'data' must be exactly "PING"/"PONG" (one message in flight at a time). */
#include "node_helpers.h"

#define N 1000

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int count, sent_pongs, server_datas, conns_seen, bad_data, client_closes, conn_ends;
    size_t max_bufsize;
    bool sent_final_ping;
    node_errors cerr, serr;
};

static void pong_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    if (status == 0)
        ((struct ctx *)ctx)->sent_pongs++;
}

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->server_datas++;
    size_t b = eddy_socket_buffer_size(ev->target);
    if (b > x->max_bufsize)
        x->max_bufsize = b;
    if (ev->u.data.len != 4 || memcmp(ev->u.data.bytes, "PING", 4) != 0)
        x->bad_data++;
    eddy_socket_write(ev->target, "PONG", 4, pong_cb, x);
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conn_ends++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct ctx *)ctx)->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->u.socket;
    x->conns_seen = (int)eddy_server_connections(x->srv);
    eddy_socket_set_no_delay(c, true);
    eddy_socket_set_encoding(c, EDDY_ENC_UTF8);
    eddy_on(eddy_emitter_of(c), "data", conn_data, x);
    eddy_on(eddy_emitter_of(c), "end", conn_end, x);
    eddy_on(eddy_emitter_of(c), "close", conn_close, x);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &x->serr);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, "PING", 4, NULL, NULL);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (ev->u.data.len != 4 || memcmp(ev->u.data.bytes, "PONG", 4) != 0)
        x->bad_data++;
    x->count++;
    if (x->sent_final_ping)
        return;
    if (x->count < N) {
        eddy_socket_write(ev->target, "PING", 4, NULL, NULL);
    } else {
        x->sent_final_ping = true;
        eddy_socket_write(ev->target, "PING", 4, NULL, NULL);
        eddy_socket_end(ev->target, NULL, 0);
    }
}

static void client_close(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->client_closes++; }

static void on_listening(const eddy_event *ev, void *ctx);

struct ctx_host {
    struct ctx x;
    const char *host;
    const char *path;
};

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx_host *h = ctx;
    struct ctx *x = &h->x;
    eddy_socket *c = h->path ? eddy_create_connection_path(x->loop, h->path, client_connect, x)
                             : eddy_create_connection(x->loop, server_port(ev->target), h->host,
                                                      client_connect, x);
    cr_assert_not_null(c);
    eddy_socket_set_encoding(c, EDDY_ENC_ASCII);
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &x->cerr);
}

static void ping_pong(const char *host, const char *path)
{
    node_env env = node_start();
    struct ctx_host h = {.x = {.loop = env.loop}, .host = host, .path = path};
    struct ctx *x = &h.x;
    eddy_server_options o = {.allow_half_open = true};
    x->srv = eddy_create_server(env.loop, &o, on_connection, x);
    if (path)
        cr_assert_eq(eddy_server_listen_path(x->srv, path, on_listening, &h), 0);
    else
        cr_assert_eq(eddy_server_listen(x->srv, 0, host, on_listening, &h), 0);
    node_run(&env, 60000);
    cr_assert_eq(x->conns_seen, 1);
    cr_assert_eq(x->server_datas, N + 1);
    cr_assert_eq(x->count, N + 1);
    cr_assert_eq(x->sent_pongs, N + 1);
    cr_assert(x->sent_final_ping);
    cr_assert_eq(x->bad_data, 0, "a 'data' was not exactly one message");
    cr_assert_leq(x->max_bufsize, 4);
    cr_assert_eq(x->conn_ends, 1);
    cr_assert_eq(x->client_closes, 1);
    cr_assert_eq(x->cerr.count, 0, "client error %s", eddy_err_name(x->cerr.code));
    cr_assert_eq(x->serr.count, 0, "server error %s", eddy_err_name(x->serr.code));
    node_finish(&env);
}

Test(net_pingpong, unix_socket)
{
    node_tmpdir t;
    node_tmpdir_make(&t);
    char path[256];
    node_tmpdir_path(&t, "pingpong.sock", path, sizeof path);
    ping_pong(NULL, path);
    node_tmpdir_remove(&t);
}

Test(net_pingpong, tcp_default_host) { ping_pong(NULL, NULL); }

Test(net_pingpong, tcp_ipv6_loopback_or_ipv4)
{
    ping_pong(ipv6_loopback_available() ? "::1" : "127.0.0.1", NULL);
}
