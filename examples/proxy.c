/* proxy: forwards every connection it accepts to a target, bytes both ways.
 *
 *   proxy LISTEN TARGET
 *     each is a port (127.0.0.1), host:port (an IP literal or localhost) or a UNIX
 *     socket path (anything with a '/'); LISTEN port 0: any port (printed)
 * SIGINT or SIGTERM: closes the server and every connection, exit status 0.
 *
 * Two pipes, one each way, with backpressure: a side that reads slowly pauses the other
 * side's reads (eddy_socket_pipe). Half-closes pass through: both sockets allow half-open,
 * so a client's FIN becomes the proxy's FIN to the target while the target's answer keeps
 * flowing back, and each socket closes once both its directions ended. An error or reset
 * on one side destroys the other. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"

enum { MAX_PAIRS = 4096 };

struct where {
    const char *path; /* UNIX socket, or NULL */
    char host[64];
    int port;
};

struct pair {
    eddy_socket *client, *target;
};

static eddy_loop *loop;
static eddy_server *server;
static struct where target;
static struct pair *pairs[MAX_PAIRS];
static size_t npairs;

static bool parse_where(const char *arg, struct where *w)
{
    if (strchr(arg, '/')) {
        w->path = arg;
        return true;
    }
    const char *colon = strrchr(arg, ':');
    const char *port = colon ? colon + 1 : arg;
    snprintf(w->host, sizeof w->host, "%.*s", colon ? (int)(colon - arg) : 9,
             colon ? arg : "127.0.0.1");
    char *end;
    long p = strtol(port, &end, 10);
    w->port = (int)p;
    return *port && !*end && p >= 0 && p <= 65535;
}

/* The pair lives until both sockets closed; a failed side takes the other with it. */
static void on_side_close(const eddy_event *ev, void *ctx)
{
    struct pair *p = ctx;
    if (p->client == ev->target)
        p->client = NULL;
    else
        p->target = NULL;
    if (ev->u.had_error) {
        if (p->client)
            eddy_socket_destroy(p->client);
        if (p->target)
            eddy_socket_destroy(p->target);
    }
    if (p->client || p->target)
        return;
    for (size_t i = 0; i < npairs; i++)
        if (pairs[i] == p) {
            pairs[i] = pairs[--npairs];
            break;
        }
    free(p);
}

static void on_side_error(const eddy_event *ev, void *ctx)
{
    struct pair *p = ctx;
    fprintf(stderr, "proxy: %s: %s (%s)\n", ev->target == p->client ? "client" : "target",
            eddy_err_name(ev->u.error.code), ev->u.error.syscall);
}

static void watch_side(eddy_socket *s, struct pair *p)
{
    eddy_emitter *e = eddy_emitter_of(s);
    eddy_on(e, "error", on_side_error, p);
    eddy_on(e, "close", on_side_close, p);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *client = ev->u.socket;
    struct pair *p = npairs < MAX_PAIRS ? calloc(1, sizeof *p) : NULL;
    eddy_socket_options o = {.fd = -1, .allow_half_open = true};
    eddy_socket *up = p ? eddy_socket_new(loop, &o) : NULL;
    int rc = !up           ? -1
             : target.path ? eddy_socket_connect_path(up, target.path, NULL, NULL)
                           : eddy_socket_connect(up, target.port, target.host, NULL, NULL);
    if (rc < 0) {
        eddy_socket_destroy(client);
        eddy_socket_destroy(up);
        free(p);
        return;
    }
    p->client = client;
    p->target = up;
    pairs[npairs++] = p;
    watch_side(client, p);
    watch_side(up, p);
    /* Bytes the client sends before the target answers are queued in up and leave on
     * 'connect'; the pipe pauses the client if that queue reaches its high-water mark. */
    eddy_socket_pipe(client, up, true);
    eddy_socket_pipe(up, client, true);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    eddy_server_address(ev->target, &a);
    if (a.port)
        printf("proxy: listening on %s port %d\n", a.address, a.port);
    else
        printf("proxy: listening on %s\n", a.address);
    fflush(stdout);
}

static int status;

static void on_server_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "proxy: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    status = 1;
    eddy_server_close(server, NULL, NULL);
    eddy_loop_close_all(loop);
}

static void on_signal(int signum, void *ctx)
{
    (void)signum;
    (void)ctx;
    eddy_server_close(server, NULL, NULL);
    for (size_t i = 0; i < npairs; i++) {
        if (pairs[i]->client)
            eddy_socket_destroy(pairs[i]->client);
        if (pairs[i]->target)
            eddy_socket_destroy(pairs[i]->target);
    }
    eddy_loop_close_all(loop);
}

int main(int argc, char **argv)
{
    struct where listen_at = {0};
    if (argc != 3 || !parse_where(argv[1], &listen_at) || !parse_where(argv[2], &target)) {
        fprintf(stderr, "usage: proxy LISTEN TARGET   (port, host:port or a socket path)\n");
        return 2;
    }
    loop = eddy_loop_new();
    if (!loop)
        return 1;
    eddy_server_options so = {.allow_half_open = true};
    server = eddy_create_server(loop, &so, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_server_error, NULL);
    eddy_signal_start(loop, SIGINT, on_signal, NULL);
    eddy_signal_start(loop, SIGTERM, on_signal, NULL);
    int rc = listen_at.path
                 ? eddy_server_listen_path(server, listen_at.path, on_listening, NULL)
                 : eddy_server_listen(server, listen_at.port, listen_at.host, on_listening, NULL);
    if (rc < 0) {
        fprintf(stderr, "proxy: %s: %s\n", argv[1], eddy_strerror(rc));
        return 2;
    }
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? status : 1;
}
