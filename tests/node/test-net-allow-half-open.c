/* Node test: test-net-allow-half-open.js
 * Asserts: with allowHalfOpen false, a client that receives the server's data and FIN
 * (1) is not destroyed at once in 'end' (it still shuts its side down properly, 'finish'
 * then 'close'), and (2) when it had called end('asd') itself, it closes after 'end'.
 * eddy: (1) the client gets all 1024 bytes, 'end', and -- still open after 'end' -- its
 * own FIN reaches the server (whose accepted socket sees 'end'), then 'close'(false).
 * (2) the client ends with "asd" at once; the server receives it and the client closes.
 * In both cases 'finish' comes once, and neither in 'finish' nor in 'end' is the client
 * destroyed yet (eddy_socket_destroyed; Node reads it in a nextTick after 'end': eddy has
 * no nextTick, it is read in the 'end' listener itself -- a later timer would be too
 * late, node v20 is destroyed by setImmediate time).
 * Fails against eddy in (1): the client's 'finish' finds it destroyed already, because
 * eddy destroys the socket as soon as its FIN is sent after the peer's, before the
 * deferred 'finish' is emitted (node v20: destroyed false in 'finish', autoDestroy comes
 * after it). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    bool client_ends_first;
    size_t client_got;
    int client_ends, client_closes, conn_ends, client_finishes, destroyed_in_end,
        destroyed_in_finish;
    bool client_close_err;
    char conn_got[16];
    size_t conn_len;
    net_log clog;
};

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    size_t n = ev->u.data.len;
    if (x->conn_len + n < sizeof x->conn_got) {
        memcpy(x->conn_got + x->conn_len, ev->u.data.bytes, n);
        x->conn_len += n;
    }
}

static void conn_end(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->conn_ends++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    static const char zeros[1024];
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, x);
    eddy_socket_end(ev->u.socket, zeros, sizeof zeros);
}

static void client_data(const eddy_event *ev, void *ctx) { ((struct ctx *)ctx)->client_got += ev->u.data.len; }
static void client_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_ends++;
    if (eddy_socket_destroyed(ev->target))
        x->destroyed_in_end++;
}

static void client_finish(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_finishes++;
    if (eddy_socket_destroyed(ev->target))
        x->destroyed_in_finish++;
}
static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_closes++;
    x->client_close_err = ev->u.had_error;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    net_record(&x->clog, c, "client", "end close error");
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "end", client_end, x);
    eddy_on(eddy_emitter_of(c), "finish", client_finish, x);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
    if (x->client_ends_first)
        eddy_socket_end(c, "asd", 3);
}

static void run(bool client_ends_first)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .client_ends_first = client_ends_first};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.client_got, 1024);
    cr_assert_eq(x.client_ends, 1);
    cr_assert_eq(x.client_closes, 1);
    cr_assert_eq(x.client_close_err, false);
    cr_assert_eq(x.client_finishes, 1);
    cr_assert_eq(x.destroyed_in_end, 0, "the client is destroyed in 'end'");
    cr_assert_eq(x.destroyed_in_finish, 0, "the client is destroyed in 'finish' (Node: not yet)");
    cr_assert_str_eq(x.clog.text, "client:end client:close(false)");
    cr_assert_eq(x.conn_ends, 1, "the client's own FIN did not reach the server");
    if (client_ends_first) {
        cr_assert_eq(x.conn_len, 3);
        cr_assert_eq(memcmp(x.conn_got, "asd", 3), 0);
    }
    node_finish(&env);
}

Test(net_allow_half_open, client_without_half_open_shuts_down_after_end) { run(false); }
Test(net_allow_half_open, client_that_ended_first_closes_after_end) { run(true); }
