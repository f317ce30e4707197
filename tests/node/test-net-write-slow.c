/* Node test: test-net-write-slow.js
 * Asserts: 10 x 200 kB queued at once on a socket (noDelay, a 9999 ms timeout that must
 * not fire while data still flows) reach a client that pauses for 20 ms after every
 * 'data': all 10 write callbacks run and the client receives all 2 MB by 'end'.
 * eddy: the same with eddy_socket_write callbacks counted, eddy_socket_set_timeout(9999)
 * turned off (0) once all 10 callbacks ran, and the client's pause + 20 ms resume. */
#include "node_helpers.h"

#define SIZE 200000
#define N 10

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int flushed, timeouts, ends;
    size_t received;
};

static void write_cb(eddy_socket *s, int status, void *ctx)
{
    struct ctx *x = ctx;
    cr_assert_eq(status, 0);
    if (++x->flushed == N)
        eddy_socket_set_timeout(s, 0, NULL, NULL);
}

static void on_timeout(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->timeouts++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = ev->u.socket;
    eddy_socket_set_no_delay(c, true);
    eddy_socket_set_timeout(c, 9999, NULL, NULL);
    eddy_on(eddy_emitter_of(c), "timeout", on_timeout, x);
    char *buf = malloc(SIZE);
    cr_assert_not_null(buf);
    memset(buf, 'a', SIZE);
    for (int i = 0; i < N; i++)
        eddy_socket_write(c, buf, SIZE, write_cb, x);
    free(buf);
    eddy_socket_end(c, NULL, 0);
}

static void resume_later(void *arg) { eddy_socket_resume(arg); }

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->received += ev->u.data.len;
    eddy_socket_pause(ev->target);
    cr_assert_not_null(eddy_set_timeout(x->loop, 20, resume_later, ev->target));
}

static void client_end(const eddy_event *ev, void *ctx)
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
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "end", client_end, x);
}

Test(net_write_slow, everything_arrives_at_a_slow_reader)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 60000);
    cr_assert_eq(x.timeouts, 0);
    cr_assert_eq(x.flushed, N);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.received, (size_t)SIZE * N);
    node_finish(&env);
}
