/* eddy's benchmark server, written the way the README teaches: a server with a
 * 'connection' listener, a 'data' listener per socket, eddy_socket_write for replies.
 *
 *   server pong|echo|http PORT [--reuse-port] [--loops N]
 *
 * (see ../common/protocol.h for the protocols). --loops N runs N loops on N threads, each
 * with its own server on the same port (SO_REUSEPORT: the kernel spreads the connections),
 * the way eddy_server_options.reuse_port is meant to be used; --reuse-port alone sets the
 * option on the one loop, for its cost without a second listener. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/protocol.h"
#include "eddy.h"

static enum bench_mode mode;
static char replies[64 * 1024]; /* pre-filled reply copies, sent in one write */
static size_t reply_len, replies_cap;

static void on_drain(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_resume(ev->target);
}

static void send_replies(eddy_socket *s, size_t n)
{
    while (n > 0) {
        size_t k = n < replies_cap ? n : replies_cap;
        eddy_socket_write(s, replies, k * reply_len, NULL, NULL);
        n -= k;
    }
}

static void on_data(const eddy_event *ev, void *ctx)
{
    eddy_socket *s = ev->target;
    const char *bytes = ev->u.data.bytes;
    size_t len = ev->u.data.len;
    switch (mode) {
    case MODE_PONG:
        send_replies(s, count_lines(bytes, len));
        break;
    case MODE_HTTP:
        send_replies(s, count_requests(bytes, len, ctx));
        break;
    default:
        /* Echo with backpressure: stop reading while the peer does not take our writes. */
        if (!eddy_socket_write(s, bytes, len, NULL, NULL))
            eddy_socket_pause(s);
        break;
    }
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    free(ctx);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *c = ev->u.socket;
    eddy_emitter *e = eddy_emitter_of(c);
    eddy_socket_set_no_delay(c, true);
    void *state = NULL;
    if (mode == MODE_HTTP) {
        state = calloc(1, sizeof(unsigned)); /* the request parser's state */
        eddy_on(e, "close", on_close, state);
    }
    eddy_on(e, "data", on_data, state);
    if (mode == MODE_ECHO)
        eddy_on(e, "drain", on_drain, NULL);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "server: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    exit(1);
}

static int port;
static eddy_server_options opts;

static void *run_loop(void *arg)
{
    (void)arg;
    eddy_loop *loop = eddy_loop_new();
    if (!loop)
        exit(1);
    eddy_server *server = eddy_create_server(loop, &opts, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_error, NULL);
    eddy_server_listen(server, port, "127.0.0.1", NULL, NULL);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = bench_mode_from(argc > 1 ? argv[1] : NULL);
    if (mode == MODE_BAD || argc < 3) {
        fprintf(stderr, "usage: server pong|echo|http PORT [--reuse-port] [--loops N]\n");
        return 2;
    }
    port = atoi(argv[2]);
    int loops = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--reuse-port") == 0)
            opts.reuse_port = true;
        else if (strcmp(argv[i], "--loops") == 0 && i + 1 < argc)
            loops = atoi(argv[++i]);
    }
    if (loops > 1)
        opts.reuse_port = true;
    replies_cap = fill_mode_replies(mode, replies, sizeof replies, &reply_len);
    for (int i = 1; i < loops; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run_loop, NULL) != 0)
            return 1;
    }
    run_loop(NULL);
    return 0;
}
