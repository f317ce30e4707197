/* Node test: test-net-error-twice.js
 * Asserts: when the client is destroyed and the server then writes 10 MiB to it, the
 * server's socket emits 'error' exactly once (never the same error twice).
 * eddy: once both sides are connected the client is destroyed and the accepted socket
 * writes 10 MiB; its 'error' count must be 1 (EPIPE or ECONNRESET) when the loop ends.
 * Node unrefs the server in the socket's 'close'; here 'close' closes the server. */
#include "node_helpers.h"

#define BIG (10 * 1024 * 1024)

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client, *server_sock;
    int errors, err_code;
};

static void ready(struct ctx *x)
{
    if (!x->client || !x->server_sock)
        return;
    eddy_socket_destroy(x->client);
    char *buf = malloc(BIG);
    cr_assert_not_null(buf);
    memset(buf, 0x62, BIG);
    eddy_socket_write(x->server_sock, buf, BIG, NULL, NULL);
    free(buf);
}

static void conn_error(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->errors++;
    x->err_code = ev->u.error.code;
}

static void conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct ctx *)ctx)->srv, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "error", conn_error, x);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", conn_close, x);
    x->server_sock = ev->u.socket;
    ready(x);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = ev->target;
    ready(x);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_not_null(
        eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", client_connect, x));
}

Test(net_error_twice, one_error_for_a_write_to_a_vanished_peer)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 20000);
    cr_assert_eq(x.errors, 1);
    cr_assert(x.err_code == -EPIPE || x.err_code == -ECONNRESET, "%s", eddy_err_name(x.err_code));
    node_finish(&env);
}
