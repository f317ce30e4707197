/* Node test: test-net-socket-byteswritten.js
 * Asserts: two writes made before the socket connected (corked, so they leave in one
 * writev) count 3 + 4 bytes ('one' and 'twø' in UTF-8) in bytesWritten at once, still 7
 * in 'connect' and 7 in 'end' (the server ends at once).
 * eddy: there is no cork/uncork (README: needs API); eddy already sends the writes held
 * in one callback together in one sendmsg. The two writes are made right after
 * eddy_create_connection and eddy_socket_bytes_written is read at once (Node: 7), in
 * 'connect' (7) and in 'end' (7). */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    uint64_t at_once, at_connect, at_end;
    int ends;
};

static void on_connect(const eddy_event *ev, void *ctx) { ((struct ctx *)ctx)->at_connect = eddy_socket_bytes_written(ev->target); }

static void on_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->ends++;
    x->at_end = eddy_socket_bytes_written(ev->target);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x);
    cr_assert_not_null(c);
    eddy_socket_write(c, "one", 3, NULL, NULL);
    eddy_socket_write(c, "tw\xc3\xb8", 4, NULL, NULL);
    x->at_once = eddy_socket_bytes_written(c);
    eddy_on(eddy_emitter_of(c), "end", on_end, x);
}

Test(net_socket_byteswritten, writes_before_connect_count_at_once)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.at_end, 7, "in 'end': %llu (at once %llu, in connect %llu)", (unsigned long long)x.at_end, (unsigned long long)x.at_once, (unsigned long long)x.at_connect);
    cr_assert_eq(x.at_once, 7, "right after the writes: %llu (Node: 7)", (unsigned long long)x.at_once);
    cr_assert_eq(x.at_connect, 7, "in 'connect': %llu (Node: 7)", (unsigned long long)x.at_connect);
    node_finish(&env);
}
