/* The echo server of Node's net documentation, in C, with the documentation's own
 * recipes for a busy address and a stale UNIX socket file:
 *
 *   var server = net.createServer(function(c) { //'connection' listener
 *     console.log('server connected');
 *     c.on('end', function() { console.log('server disconnected'); });
 *     c.write('hello\r\n');
 *     c.pipe(c);
 *   });
 *   server.listen(8124, function() { console.log('server bound'); });
 *
 * Usage: echo-server [port | path]
 *   no argument   port 8124 on localhost        (try: telnet localhost 8124)
 *   a number      that port on localhost
 *   anything else a UNIX socket at that path    (try: nc -U /tmp/echo.sock)
 * Ctrl-C (SIGINT) or SIGTERM closes the server and its connections; exit status 0 (also
 * with a library built without signal watchers, EDDY_NO_SIGNALS: see watch_signals).
 * Exit status 1 when it cannot listen (address still in use after the retries, another
 * server running on the socket path, any other listen error). */
/* sigaction, for a library without signal watchers: POSIX, beside the C11 of the
 * vendoring line (cc -std=c11 ... app.c) */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"

enum { DEFAULT_PORT = 8124, RETRIES = 5, RETRY_MS = 1000, MAX_CONNS = 1024 };

static struct {
    eddy_loop *loop;
    eddy_server *server;
    const char *path; /* NULL: TCP */
    int port;
    int retries;
    int status;
    bool recovering;
    eddy_signal *sigint, *sigterm;
    eddy_socket *conns[MAX_CONNS]; /* to destroy at exit (Node: track them, then destroy) */
} app;

static void say(const char *line)
{
    puts(line);
    fflush(stdout);
}

static void on_conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    say("server disconnected");
}

static void on_conn_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    /* A client that resets is not the server's failure: one line, then 'close'. */
    fprintf(stderr, "echo-server: client: %s (%s)\n", eddy_err_name(ev->u.error.code),
            ev->u.error.syscall);
}

static void on_conn_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    for (int i = 0; i < MAX_CONNS; i++)
        if (app.conns[i] == ev->target)
            app.conns[i] = NULL;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = ev->u.socket;
    (void)ctx;
    say("server connected");
    for (int i = 0; i < MAX_CONNS; i++)
        if (!app.conns[i]) {
            app.conns[i] = c;
            break;
        }
    eddy_emitter *e = eddy_emitter_of(c);
    eddy_on(e, "end", on_conn_end, NULL);
    eddy_on(e, "error", on_conn_error, NULL);
    eddy_on(e, "close", on_conn_close, NULL);
    eddy_socket_write(c, "hello\r\n", 7, NULL, NULL);
    eddy_socket_pipe(c, c, true);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    say(app.recovering ? "server recovered" : "server bound");
}

static int listen_again(void)
{
    return app.path ? eddy_server_listen_path(app.server, app.path, on_listening, NULL)
                    : eddy_server_listen(app.server, app.port, "localhost", on_listening, NULL);
}

static void shut_down(int status)
{
    app.status = status;
    eddy_server_close(app.server, NULL, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        if (app.conns[i])
            eddy_socket_destroy(app.conns[i]);
    eddy_loop_close_all(app.loop); /* the signal watchers (or check), a pending retry timer */
}

static void retry_listen(void *arg)
{
    (void)arg;
    eddy_server_close(app.server, NULL, NULL);
    listen_again();
}

/* The stale-socket check: a server that answers owns the path; a refused connection
 * means the file outlived its server, so it is removed and the listen retried. */
static void on_probe_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    say("Server running, giving up...");
    eddy_socket_destroy(ev->target);
    shut_down(1);
}

static void on_probe_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->u.error.code == -ECONNREFUSED) {
        fprintf(stderr,
                "echo-server: %s is a stale socket file (connection refused): "
                "removing it and listening again\n",
                app.path);
        unlink(app.path);
        app.recovering = true;
        listen_again();
    } else {
        fprintf(stderr, "echo-server: %s: %s\n", app.path, eddy_strerror(ev->u.error.code));
        shut_down(1);
    }
}

static void on_server_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    int code = ev->u.error.code;
    if (code == -EADDRINUSE && app.path && !app.recovering) {
        eddy_socket *probe =
            eddy_create_connection_path(app.loop, app.path, on_probe_connect, NULL);
        if (probe) {
            eddy_on(eddy_emitter_of(probe), "error", on_probe_error, NULL);
            return;
        }
    } else if (code == -EADDRINUSE && !app.path && app.retries++ < RETRIES) {
        say("Address in use, retrying...");
        eddy_set_timeout(app.loop, RETRY_MS, retry_listen, NULL);
        return;
    }
    fprintf(stderr, "echo-server: %s: %s\n", ev->u.error.syscall, eddy_strerror(code));
    shut_down(1);
}

static void on_signal(int signum, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "echo-server: %s: closing\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    shut_down(0);
}

/* A library built with EDDY_NO_SIGNALS (eddy/config.h) has no watchers: start says
 * -ENOSYS. The program then catches the signals itself, as any C program can: its handler
 * only records the signal (nothing of eddy may be called in signal context), and a timer
 * of the loop looks for it four times a second, so the server still closes cleanly. */
static volatile sig_atomic_t caught;

static void on_caught(int signum)
{
    caught = signum;
}

static void check_caught(void *arg)
{
    (void)arg;
    if (caught)
        on_signal(caught, NULL);
}

static int watch_signals(void)
{
    int err;
    app.sigint = eddy_signal_start_ex(app.loop, SIGINT, on_signal, NULL, &err);
    if (app.sigint)
        app.sigterm = eddy_signal_start_ex(app.loop, SIGTERM, on_signal, NULL, &err);
    if (app.sigterm || err != -ENOSYS)
        return err;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_caught;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return -errno;
    return eddy_set_interval(app.loop, 250, check_caught, NULL) ? 0 : -ENOMEM;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
        fprintf(stderr, "usage: echo-server [port | socket-path]\n");
        return 2;
    }
    app.port = DEFAULT_PORT;
    if (argc == 2 && all_digits(argv[1]))
        app.port = atoi(argv[1]);
    else if (argc == 2)
        app.path = argv[1];
    app.loop = eddy_loop_new();
    if (!app.loop) {
        fprintf(stderr, "echo-server: cannot create the loop\n");
        return 1;
    }
    app.server = eddy_create_server(app.loop, NULL, on_connection, NULL);
    if (!app.server) {
        fprintf(stderr, "echo-server: out of memory\n");
        return 1;
    }
    int rc = watch_signals();
    if (rc < 0) {
        fprintf(stderr, "echo-server: signals: %s\n", eddy_strerror(rc));
        return 1;
    }
    eddy_on(eddy_emitter_of(app.server), "error", on_server_error, NULL);
    rc = listen_again();
    if (rc < 0) {
        fprintf(stderr, "echo-server: %s: %s\n", argv[1], eddy_strerror(rc));
        shut_down(1);
    }
    eddy_loop_run(app.loop, EDDY_RUN_DEFAULT);
    if (eddy_loop_free(app.loop) != 0) {
        fprintf(stderr, "echo-server: objects still alive at exit\n");
        return 1;
    }
    return app.status;
}
