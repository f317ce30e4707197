/* Node test: test-net-bytes-stats.js
 * Asserts: a client connects, writes "foo" and in the write callback ends with "bar";
 * its bytesWritten read in 'finish' is summed, the server socket's bytesRead read in its
 * 'end' is summed; the client reconnects once from its own 'close'; at exit both sums are
 * 12 (6 per connection: Node counts bytesWritten per connection, it is 6 in both
 * 'finish' events -- checked with node v20).
 * eddy: the same; the reconnect is eddy_socket_connect from the client's 'close' listener,
 * bytes_written is read in 'finish', bytes_read in the server socket's 'end'. Both
 * per-connection readings are checked as well as the sums. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, count, finishes, reconnect_rc;
    uint64_t bytes_read, bytes_written, written_at_finish[3], read_at_end[3];
    int ends;
};

static void conn_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    uint64_t n = eddy_socket_bytes_read(ev->target);
    if (x->ends < 3)
        x->read_at_end[x->ends] = n;
    x->ends++;
    x->bytes_read += n;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket_resume(ev->u.socket);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, ctx);
}

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)ctx;
    if (status == 0)
        eddy_socket_end(s, "bar", 3);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->count++;
    eddy_socket_write(ev->target, "foo", 3, write_cb, x);
}

static void client_finish(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    uint64_t n = eddy_socket_bytes_written(ev->target);
    if (x->finishes < 3)
        x->written_at_finish[x->finishes] = n;
    x->finishes++;
    x->bytes_written += n;
}

static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (x->count < 2) {
        x->reconnect_rc = eddy_socket_connect(ev->target, x->port, "127.0.0.1", NULL, NULL);
        if (x->reconnect_rc != 0)
            eddy_server_close(x->srv, NULL, NULL);
    } else {
        eddy_server_close(x->srv, NULL, NULL);
    }
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->port = server_port(ev->target);
    eddy_socket *c = eddy_create_connection(x->loop, x->port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "connect", client_connect, x);
    eddy_on(eddy_emitter_of(c), "finish", client_finish, x);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
}

Test(net_bytes_stats, bytes_counted_per_connection_across_a_reconnect)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, NULL, on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.reconnect_rc, 0, "reconnect from 'close': %s", eddy_err_name(x.reconnect_rc));
    cr_assert_eq(x.count, 2);
    cr_assert_eq(x.finishes, 2);
    cr_assert_eq(x.ends, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(x.written_at_finish[i], 6, "connection %d: bytes_written %llu in 'finish' (Node: 6)",
                     i + 1, (unsigned long long)x.written_at_finish[i]);
        cr_assert_eq(x.read_at_end[i], 6, "connection %d: bytes_read %llu in 'end' (Node: 6)", i + 1,
                     (unsigned long long)x.read_at_end[i]);
    }
    cr_assert_eq(x.bytes_read, 12);
    cr_assert_eq(x.bytes_written, 12);
    node_finish(&env);
}
