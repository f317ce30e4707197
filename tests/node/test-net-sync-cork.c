/* Node test: test-net-sync-cork.js
 * Asserts: in 'connect', 100 rounds of cork(), write(2 bytes), write(2 bytes) -- whose
 * return value must stay true --, uncork(): all 100 rounds run (no write returned
 * false), then end(); the server's socket (resumed) never errors and closes, which
 * closes the server.
 * eddy: eddy_socket_cork / eddy_socket_uncork around two eddy_socket_write of "aa" with
 * the default high-water mark (16 KiB). Also checked: the server received all 400
 * bytes, all 'a'. */
#include "node_helpers.h"

#define N 100

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int rounds, sock_closes, cork_rc;
    uint64_t received, not_a;
    node_errors errs;
};

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    const unsigned char *b = ev->u.data.bytes;
    for (size_t i = 0; i < ev->u.data.len; i++)
        if (b[i] != 'a')
            x->not_a++;
    x->received += ev->u.data.len;
}

static void conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->sock_closes++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *s = ev->u.socket;
    eddy_socket_resume(s);
    eddy_on(eddy_emitter_of(s), "data", conn_data, x);
    eddy_on(eddy_emitter_of(s), "error", node_error_listener, &x->errs);
    eddy_on(eddy_emitter_of(s), "close", conn_close, x);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->target;
    static const char buf[2] = {'a', 'a'};
    bool res = true;
    int i = 0;
    for (; i < N && res; i++) {
        x->cork_rc |= eddy_socket_cork(c);
        eddy_socket_write(c, buf, sizeof buf, NULL, NULL);
        res = eddy_socket_write(c, buf, sizeof buf, NULL, NULL);
        x->cork_rc |= eddy_socket_uncork(c);
    }
    x->rounds = i;
    eddy_socket_end(c, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", on_connect, x));
}

Test(net_sync_cork, corked_writes_stay_under_the_high_water_mark)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.cork_rc, 0);
    cr_assert_eq(x.rounds, N, "a write returned false in round %d", x.rounds);
    cr_assert_eq(x.errs.count, 0, "server socket 'error' %s", eddy_err_name(x.errs.code));
    cr_assert_eq(x.sock_closes, 1);
    cr_assert_eq(x.received, 4 * N);
    cr_assert_eq(x.not_a, 0);
    node_finish(&env);
}
