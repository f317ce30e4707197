/* The echo server as firmware writes it: TCP on 127.0.0.1, no stdio (a firmware image
 * often has no printf, and on musl a single printf brings ~13 KB), no signals. It greets
 * each client with "hello\r\n" and echoes what it sends, like examples/echo-server.c; when
 * its first client has gone it closes the server and returns 0, so that a check can end it
 * without a signal. scripts/check-vendoring.sh runs it (minimal build: an echo round
 * trip) and scripts/size-table.sh reports its size as a stripped static musl program.
 *
 * Usage: echo_nostdio PORT   (prints "server bound" on stdout when listening) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"

static eddy_server *server;

static void say(int fd, const char *a, const char *b)
{
    /* Best effort: there is nowhere to report a failed write of a message. */
    if (write(fd, a, strlen(a)) < 0 || (b && write(fd, b, strlen(b)) < 0) || write(fd, "\n", 1) < 0)
        return;
}

static void on_data(const eddy_event *ev, void *ctx)
{
    eddy_socket_write(ctx, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    eddy_server_close(server, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *c = ev->u.socket;
    eddy_on(eddy_emitter_of(c), "data", on_data, c);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    eddy_socket_write(c, "hello\r\n", 7, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    say(1, "server bound", NULL);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    say(2, "echo_nostdio: ", eddy_err_name(ev->u.error.code));
    exit(1);
}

int main(int argc, char **argv)
{
    eddy_loop *loop = eddy_loop_new();
    server = loop ? eddy_create_server(loop, NULL, on_connection, NULL) : NULL;
    if (!server || argc != 2)
        return 2;
    eddy_on(eddy_emitter_of(server), "error", on_error, NULL);
    int rc = eddy_server_listen(server, atoi(argv[1]), "127.0.0.1", on_listening, NULL);
    if (rc < 0) {
        say(2, "echo_nostdio: ", eddy_err_name(rc));
        return 1;
    }
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? 0 : 1;
}
