/* pong: answers "+PONG\r\n" to every line it receives, the reply redis-benchmark expects
 * for its inline PING (redis-benchmark -p PORT -t ping_inline, pipelined with -P or not).
 *
 *   pong [port]        (default 6380 on 127.0.0.1; 0: any port, printed)
 * SIGINT or SIGTERM: closes the server and its connections, exit status 0.
 *
 * The hot path is the one eddy is built for: one read, one reply write per batch of
 * lines (n replies in one write), no allocation. A line may be split across two reads;
 * only '\n' is counted, so a split never costs a reply. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"

enum { MAX_CONNS = 4096, REPLIES = 4096 };
#define PONG "+PONG\r\n"
#define PONG_LEN (sizeof PONG - 1)

static char replies[REPLIES * PONG_LEN];
static eddy_server *server;
static eddy_socket *conns[MAX_CONNS];
static size_t nconns;

static void on_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    size_t lines = 0;
    const char *p = ev->u.data.bytes, *end = p + ev->u.data.len;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        lines++;
        p++;
    }
    while (lines > 0) {
        size_t k = lines < REPLIES ? lines : REPLIES;
        /* No pause on false: a client that pipelines waits for its replies before it
         * sends more, so the queue stays bounded by what it sent. */
        eddy_socket_write(ev->target, replies, k * PONG_LEN, NULL, NULL);
        lines -= k;
    }
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < nconns; i++)
        if (conns[i] == ev->target) {
            conns[i] = conns[--nconns];
            break;
        }
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* a client reset: 'close' follows */
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *c = ev->u.socket;
    if (nconns == MAX_CONNS) {
        eddy_socket_destroy(c);
        return;
    }
    conns[nconns++] = c;
    eddy_socket_set_no_delay(c, true);
    eddy_emitter *e = eddy_emitter_of(c);
    eddy_on(e, "data", on_data, NULL);
    eddy_on(e, "error", on_error, NULL);
    eddy_on(e, "close", on_close, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    eddy_server_address(ev->target, &a);
    printf("pong: listening on %s port %d\n", a.address, a.port);
    fflush(stdout);
}

static int status;

static void on_server_error(const eddy_event *ev, void *ctx)
{
    eddy_loop *loop = ctx;
    fprintf(stderr, "pong: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    status = 1;
    eddy_server_close(server, NULL, NULL);
    eddy_loop_close_all(loop);
}

static void on_signal(int signum, void *ctx)
{
    (void)signum;
    eddy_server_close(server, NULL, NULL);
    while (nconns > 0)
        eddy_socket_destroy(conns[--nconns]);
    eddy_loop_close_all(ctx);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 6380;
    for (size_t i = 0; i < REPLIES; i++)
        memcpy(replies + i * PONG_LEN, PONG, PONG_LEN);
    eddy_loop *loop = eddy_loop_new();
    if (!loop)
        return 1;
    server = eddy_create_server(loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_server_error, loop);
    eddy_signal_start(loop, SIGINT, on_signal, loop);
    eddy_signal_start(loop, SIGTERM, on_signal, loop);
    if (eddy_server_listen(server, port, "127.0.0.1", on_listening, NULL) < 0) {
        fprintf(stderr, "usage: pong [port]\n");
        return 2;
    }
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? status : 1;
}
