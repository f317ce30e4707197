/* The echo server of Node's net documentation, in C:
 *
 *   const server = net.createServer((c) => {
 *     c.on('end', () => console.log('client disconnected'));
 *     c.write('hello\r\n');
 *     c.pipe(c);
 *   });
 *   server.listen(8124, () => console.log('server bound'));
 *
 * Usage: echo_server [port]   (try: nc localhost 8124) */
#include <stdio.h>
#include <stdlib.h>

#include "eddy.h"

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    puts("client disconnected");
    fflush(stdout);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = ev->u.socket;
    (void)ctx;
    puts("client connected");
    fflush(stdout);
    eddy_on(eddy_emitter_of(c), "end", on_end, NULL);
    eddy_socket_write(c, "hello\r\n", 7, NULL, NULL);
    eddy_socket_pipe(c, c, true);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_address a;
    (void)ctx;
    eddy_server_address(ev->target, &a);
    printf("server bound on port %d\n", a.port);
    fflush(stdout);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "echo_server: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    eddy_server_close(ev->target, NULL, NULL);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8124;
    eddy_loop *loop = eddy_loop_new();
    if (!loop) {
        fprintf(stderr, "echo_server: cannot create the loop\n");
        return 1;
    }
    eddy_server *server = eddy_create_server(loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_error, NULL);
    eddy_server_listen(server, port, NULL, on_listening, NULL);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? 0 : 1;
}
