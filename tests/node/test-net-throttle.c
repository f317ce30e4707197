/* Node test: test-net-throttle.js
 * Asserts: a server writes 1 KiB chunks until write() returns false, then two more, then
 * end()s (bufferSize >= 0); a client in ascii that pauses for 100 ms whenever it is not
 * paused (nothing arrives while paused) receives every character, and pauses more than
 * once.
 * eddy: the same loop over eddy_socket_write's return; the client counts the 'data' text
 * length, checks in each resume timer that nothing arrived while paused, and must have
 * paused at least twice. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    eddy_socket *client;
    size_t total, received, at_pause;
    int npauses, arrived_while_paused;
    bool paused;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    char body[1024];
    memset(body, 'C', sizeof body);
    size_t n = 1;
    while (eddy_socket_write(ev->u.socket, body, sizeof body, NULL, NULL))
        n++;
    eddy_socket_write(ev->u.socket, body, sizeof body, NULL, NULL);
    eddy_socket_write(ev->u.socket, body, sizeof body, NULL, NULL);
    n += 2;
    x->total = n * sizeof body;
    cr_assert_leq(eddy_socket_buffer_size(ev->u.socket), x->total);
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void resume_later(void *arg)
{
    struct ctx *x = arg;
    if (x->received != x->at_pause)
        x->arrived_while_paused++;
    x->paused = false;
    eddy_socket_resume(x->client);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->received += ev->u.data.len;
    if (!x->paused) {
        eddy_socket_pause(ev->target);
        x->npauses++;
        x->paused = true;
        x->at_pause = x->received;
        cr_assert_not_null(eddy_set_timeout(x->loop, 100, resume_later, x));
    }
}

static void client_end(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_server_close(x->srv, NULL, NULL);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->client = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(x->client);
    eddy_socket_set_encoding(x->client, EDDY_ENC_ASCII);
    eddy_on(eddy_emitter_of(x->client), "data", client_data, x);
    eddy_on(eddy_emitter_of(x->client), "end", client_end, x);
}

Test(net_throttle, paused_reader_gets_everything_and_nothing_while_paused)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 60000);
    cr_assert_gt(x.total, 0);
    cr_assert_eq(x.received, x.total);
    cr_assert_gt(x.npauses, 1);
    cr_assert_eq(x.arrived_while_paused, 0);
    node_finish(&env);
}
