/* Node test: test-net-stream.js
 * Asserts: a server that queues 10 x 2 MB (with write callbacks) and end(), to a client
 * that pauses on its first 'data' and destroys itself 20 ms later, gets exactly one
 * 'error' (the peer reset the connection), destroys itself in it, and 'close' follows
 * (the server closes then).
 * eddy: the same; the server's socket must see 'error' once (EPIPE or ECONNRESET) and
 * 'close' once; the client's pause/destroy as in Node. */
#include "node_helpers.h"

#define SIZE 2000000
#define N 10

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client;
    int errors, closes, cbs, client_datas, err_code;
};

static void conn_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->errors++;
    x->err_code = ev->u.error.code;
    eddy_socket_destroy(ev->target);
}

static void conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->closes++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->u.socket;
    eddy_socket_set_no_delay(c, true);
    eddy_on(eddy_emitter_of(c), "error", conn_error, x);
    eddy_on(eddy_emitter_of(c), "close", conn_close, x);
    char *buf = malloc(SIZE);
    cr_assert_not_null(buf);
    memset(buf, 'a', SIZE);
    for (int i = 0; i < N; i++)
        eddy_socket_write(c, buf, SIZE, node_count_write_cb, &x->cbs);
    free(buf);
    eddy_socket_end(c, NULL, 0);
}

static void destroy_client(void *arg) { eddy_socket_destroy(arg); }

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client_datas++;
    eddy_socket_pause(ev->target);
    if (x->client_datas == 1)
        cr_assert_not_null(eddy_set_timeout(x->loop, 20, destroy_client, ev->target));
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(x->client);
    eddy_on(eddy_emitter_of(x->client), "data", client_data, x);
}

Test(net_stream, server_gets_one_error_when_the_paused_client_goes_away)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 20000);
    cr_assert_eq(x.errors, 1);
    cr_assert(x.err_code == -EPIPE || x.err_code == -ECONNRESET, "%s", eddy_err_name(x.err_code));
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.cbs, N, "every write callback runs (0 or an error) before 'error'/'close'");
    node_finish(&env);
}
