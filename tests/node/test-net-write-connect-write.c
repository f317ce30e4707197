/* Node test: test-net-write-connect-write.js
 * Asserts: a write made before 'connect' and one made in 'connect' arrive in order at an
 * echo server (socket.pipe(socket)); the client, with utf8 encoding, receives
 * "before after" before its 'end'.
 * eddy: the server pipes each accepted socket into itself (eddy_socket_pipe(c, c, true));
 * the client sets EDDY_ENC_UTF8, writes "before" at once and " after" in 'connect', ends
 * on its first 'data' (as Node does), and must have received "before after" by 'end'. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    char got[64];
    size_t len;
    int ends;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(eddy_socket_pipe(ev->u.socket, ev->u.socket, true), 0);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, " after", 6, NULL, NULL);
}

static void on_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    size_t n = ev->u.data.len;
    if (x->len + n < sizeof x->got) {
        memcpy(x->got + x->len, ev->u.data.bytes, n);
        x->len += n;
        x->got[x->len] = '\0';
    }
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->ends++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    cr_assert_eq(eddy_socket_set_encoding(c, EDDY_ENC_UTF8), 0);
    eddy_socket_write(c, "before", 6, NULL, NULL);
    eddy_on(eddy_emitter_of(c), "connect", on_connect, x);
    eddy_on(eddy_emitter_of(c), "data", on_data, x);
    eddy_on(eddy_emitter_of(c), "end", on_end, x);
}

Test(net_write_connect_write, writes_before_and_after_connect_arrive_in_order)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 1);
    cr_assert_str_eq(x.got, "before after");
    node_finish(&env);
}
