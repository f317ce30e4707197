/* Node test: test-net-connect-buffer.js
 * Asserts: on a socket with highWaterMark 0 that is still connecting, write("L'État, c'est ")
 * returns false and bytesWritten is at once the byte length of what was written (15, not
 * the 14 characters); in the write callback (after 'connect') bytesWritten is the byte
 * length of both writes (18, with end("moi")); the server, in utf8, receives
 * "L'État, c'est moi" before 'end'. State: pending before and right after connect(),
 * connecting and readyState 'opening' right after it, readyState still 'opening' after
 * end(b); pending false in the write callback, pending true again in 'close'.
 * eddy: eddy_socket_options.high_water_mark 1 (0 means the default, 16 KiB), so the first
 * write, queued before connect, returns false; eddy_socket_bytes_written is read right
 * after it (expected 15) and in its callback (expected 18); the state through
 * eddy_socket_pending / eddy_socket_connecting / eddy_socket_ready_state. */
#include "node_helpers.h"

static const char A[] = "L'\xc3\x89tat, c'est ";
static const char B[] = "moi";

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    char got[64];
    size_t len;
    int conn_ends, connects, cbs, cb_status;
    bool ret, connected_in_cb;
    uint64_t written_after_write, written_in_cb;
    int bad_state, closes;
    char state_log[256];
};

static void state(struct ctx *x, bool ok, const char *what)
{
    if (!ok) {
        x->bad_state++;
        size_t n = strlen(x->state_log);
        snprintf(x->state_log + n, sizeof x->state_log - n, "%s; ", what);
    }
}

static void on_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->closes++;
    state(x, eddy_socket_pending(ev->target), "not pending in 'close'");
}

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    size_t n = ev->u.data.len;
    if (x->len + n < sizeof x->got) {
        memcpy(x->got + x->len, ev->u.data.bytes, n);
        x->len += n;
        x->got[x->len] = '\0';
    }
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conn_ends++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_server_close(x->srv, NULL, NULL);
    eddy_socket_set_encoding(ev->u.socket, EDDY_ENC_UTF8);
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, x);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct ctx *)ctx)->connects++;
}

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    struct ctx *x = ctx;
    x->cbs++;
    x->cb_status = status;
    x->connected_in_cb = x->connects == 1;
    x->written_in_cb = eddy_socket_bytes_written(s);
    state(x, !eddy_socket_pending(s), "pending in the write callback");
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket_options o = {.fd = -1, .high_water_mark = 1};
    eddy_socket *c = eddy_socket_new(x->loop, &o);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "close", on_close, x);
    state(x, eddy_socket_pending(c), "not pending before connect");
    cr_assert_eq(eddy_socket_connect(c, server_port(ev->target), "127.0.0.1", on_connect, x), 0);
    state(x, eddy_socket_pending(c), "not pending after connect()");
    state(x, eddy_socket_connecting(c), "not connecting after connect()");
    state(x, strcmp(eddy_socket_ready_state(c), "opening") == 0, "ready_state not opening after connect()");
    x->ret = eddy_socket_write(c, A, strlen(A), write_cb, x);
    x->written_after_write = eddy_socket_bytes_written(c);
    eddy_socket_end(c, B, strlen(B));
    state(x, strcmp(eddy_socket_ready_state(c), "opening") == 0, "ready_state not opening after end()");
}

Test(net_connect_buffer, writes_while_connecting_count_bytes_at_once)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ret, false, "a write queued above the high-water mark returned true");
    cr_assert_eq(x.cbs, 1);
    cr_assert_eq(x.cb_status, 0);
    cr_assert(x.connected_in_cb);
    cr_assert_str_eq(x.got, "L'\xc3\x89tat, c'est moi");
    cr_assert_eq(x.conn_ends, 1);
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.bad_state, 0, "%s", x.state_log);
    cr_assert_eq(x.written_in_cb, 18, "bytes_written in the write callback: %llu",
                 (unsigned long long)x.written_in_cb);
    cr_assert_eq(x.written_after_write, 15,
                 "bytes_written right after the write made while connecting: %llu (Node: 15)",
                 (unsigned long long)x.written_after_write);
    node_finish(&env);
}
