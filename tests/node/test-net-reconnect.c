/* Node test: test-net-reconnect.js
 * Asserts: one client socket object connects, reads "hello\r\n" (utf8), ends, gets 'end'
 * and 'close'(false), and from its 'close' listener connects again -- 51 times in all; the
 * server's sockets all close with hadError false.
 * eddy: the same socket is connected again with eddy_socket_connect from its own 'close'
 * listener (an object stays valid until its 'close' listeners returned). Expected as in
 * Node: that returns 0 and the socket lives on; counts are N+1 each at the end. */
#include "node_helpers.h"

#define N 50

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int port, recv_count, end_count, disconnect_count, reconnect_rc, bad_chunk, server_had_error;
};

static void conn_close(const eddy_event *ev, void *ctx)
{
    if (ev->u.had_error)
        ((struct ctx *)ctx)->server_had_error++;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = ev->u.socket;
    eddy_socket_write(c, "hello\r\n", 7, NULL, NULL);
    eddy_on(eddy_emitter_of(c), "end", end_target_listener, NULL);
    eddy_on(eddy_emitter_of(c), "close", conn_close, ctx);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->recv_count++;
    if (ev->u.data.len != 7 || memcmp(ev->u.data.bytes, "hello\r\n", 7) != 0)
        x->bad_chunk++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void client_end(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->end_count++; }

static void client_close(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_eq(ev->u.had_error, false);
    if (x->disconnect_count++ < N) {
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
    eddy_socket_set_encoding(c, EDDY_ENC_UTF8);
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "end", client_end, x);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
}

Test(net_reconnect, one_socket_reconnects_from_its_close_listener)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 30000);
    cr_assert_eq(x.reconnect_rc, 0, "eddy_socket_connect from 'close' returned %s",
                 eddy_err_name(x.reconnect_rc));
    cr_assert_eq(x.disconnect_count, N + 1);
    cr_assert_eq(x.recv_count, N + 1);
    cr_assert_eq(x.end_count, N + 1);
    cr_assert_eq(x.bad_chunk, 0);
    cr_assert_eq(x.server_had_error, 0);
    node_finish(&env);
}
