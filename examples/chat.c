/* chat: a line-based chat room. Every line a client sends goes to every other client as
 * "name> line"; joins and leaves are announced.
 *
 *   chat [-i idle_secs] [-m max_queued_bytes] [port | path]
 *     port 0: any port (printed); default 7000 on 127.0.0.1; a path: a UNIX socket
 *     -i  a client silent for this long is told so and disconnected (default 300)
 *     -m  a client that does not read, whose queue of unsent messages exceeds this many
 *         bytes, is dropped (default 65536): one slow reader never holds up the room
 * SIGINT or SIGTERM: closes the room, exit status 0.
 *
 * "/nick NAME" renames the client. Lines longer than 1 KiB are cut. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"

enum { MAX_LINE = 1024, MAX_CLIENTS = 1024 };

struct client {
    eddy_socket *s;
    bool dropped;   /* destroyed, its 'close' not out yet: sent nothing more */
    bool timed_out; /* told so and ended: a second idle period destroys it */
    char name[32];
    size_t len;
    char line[MAX_LINE];
};

static eddy_server *server;
static struct client *clients[MAX_CLIENTS];
static size_t nclients;
static uint64_t idle_ms = 300000;
static size_t max_queued = 65536;
static unsigned next_id = 1;
static eddy_timer *straggler_timer; /* set once the room closes */

static void send_to(struct client *c, const char *text, size_t len)
{
    if (c->dropped)
        return;
    eddy_socket_write(c->s, text, len, NULL, NULL);
    if (eddy_socket_buffer_size(c->s) > max_queued) {
        printf("chat: %s dropped (%zu bytes unread)\n", c->name, eddy_socket_buffer_size(c->s));
        fflush(stdout);
        c->dropped = true;
        eddy_socket_destroy(c->s); /* 'close' removes it from the room */
    }
}

/* Sends to everyone but from (NULL: everyone). */
static void broadcast(const struct client *from, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void broadcast(const struct client *from, const char *fmt, ...)
{
    char msg[MAX_LINE + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    for (size_t i = 0; i < nclients; i++)
        if (clients[i] != from)
            send_to(clients[i], msg, len);
}

static void on_line(struct client *c, char *line)
{
    size_t n = strlen(line);
    if (n && line[n - 1] == '\r')
        line[--n] = '\0';
    if (strncmp(line, "/nick ", 6) == 0 && line[6]) {
        char old[32];
        snprintf(old, sizeof old, "%s", c->name);
        snprintf(c->name, sizeof c->name, "%s", line + 6);
        broadcast(NULL, "* %s is now %s\n", old, c->name);
        return;
    }
    broadcast(c, "%s> %s\n", c->name, line);
}

static void on_data(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    const char *p = ev->u.data.bytes;
    for (size_t i = 0; i < ev->u.data.len; i++) {
        if (p[i] == '\n' || c->len == MAX_LINE - 1) {
            c->line[c->len] = '\0';
            c->len = 0;
            on_line(c, c->line);
            if (p[i] == '\n')
                continue;
        }
        c->line[c->len++] = p[i];
    }
}

static void on_timeout(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    if (c->timed_out) {
        eddy_socket_destroy(ev->target); /* it did not close its side either */
        return;
    }
    c->timed_out = true;
    char bye[80];
    int n =
        snprintf(bye, sizeof bye, "* idle for %llu s: bye\n", (unsigned long long)(idle_ms / 1000));
    eddy_socket_end(ev->target, bye, (size_t)n);
    printf("chat: %s timed out\n", c->name);
    fflush(stdout);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* the socket ends its side by itself (allow_half_open is false) */
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* a reset: 'close' follows */
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct client *c = ctx;
    for (size_t i = 0; i < nclients; i++)
        if (clients[i] == c) {
            clients[i] = clients[--nclients];
            break;
        }
    broadcast(NULL, "* %s left\n", c->name);
    printf("chat: %s left\n", c->name);
    fflush(stdout);
    free(c);
    if (nclients == 0 && straggler_timer) {
        eddy_clear_timer(straggler_timer); /* an unreferenced timer still holds the loop's */
        straggler_timer = NULL;            /* memory: eddy_loop_free would be -EBUSY */
    }
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    struct client *c = nclients < MAX_CLIENTS ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        eddy_socket_end(ev->u.socket, "* the room is full\n", 19);
        return;
    }
    c->s = ev->u.socket;
    snprintf(c->name, sizeof c->name, "guest%u", next_id++);
    eddy_emitter *e = eddy_emitter_of(c->s);
    eddy_on(e, "data", on_data, c);
    eddy_on(e, "end", on_end, c);
    eddy_on(e, "error", on_error, c);
    eddy_on(e, "close", on_close, c);
    eddy_on(e, "timeout", on_timeout, c);
    eddy_socket_set_timeout(c->s, idle_ms, NULL, NULL);
    broadcast(NULL, "* %s joined\n", c->name);
    clients[nclients++] = c;
    char hello[96];
    int n = snprintf(hello, sizeof hello, "* welcome, %s (%zu here)\n", c->name, nclients);
    send_to(c, hello, (size_t)n);
    printf("chat: %s joined\n", c->name);
    fflush(stdout);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    eddy_server_address(ev->target, &a);
    if (a.port)
        printf("chat: listening on %s port %d\n", a.address, a.port);
    else
        printf("chat: listening on %s\n", a.address);
    fflush(stdout);
}

static int status;

static void on_server_error(const eddy_event *ev, void *ctx)
{
    fprintf(stderr, "chat: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    status = 1;
    eddy_server_close(server, NULL, NULL);
    eddy_loop_close_all(ctx);
}

static void destroy_stragglers(void *arg)
{
    (void)arg;
    straggler_timer = NULL;
    for (size_t i = 0; i < nclients; i++)
        eddy_socket_destroy(clients[i]->s);
}

/* Node's graceful exit: stop accepting, say goodbye and end every connection; those
 * whose clients do not close their side within a second are destroyed. */
static void on_signal(int signum, void *ctx)
{
    (void)signum;
    eddy_server_close(server, NULL, NULL);
    for (size_t i = 0; i < nclients; i++)
        eddy_socket_end(clients[i]->s, "* the room closes\n", 18);
    eddy_loop_close_all(ctx); /* the signal watchers */
    if (nclients > 0) {
        straggler_timer = eddy_set_timeout(ctx, 1000, destroy_stragglers, NULL);
        eddy_timer_unref(straggler_timer);
    }
}

int main(int argc, char **argv)
{
    const char *where = "7000";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-i") && i + 1 < argc)
            idle_ms = strtoull(argv[++i], NULL, 10) * 1000;
        else if (!strcmp(argv[i], "-m") && i + 1 < argc)
            max_queued = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-')
            where = argv[i];
        else {
            fprintf(stderr, "usage: chat [-i idle_secs] [-m max_queued_bytes] [port | path]\n");
            return 2;
        }
    }
    eddy_loop *loop = eddy_loop_new();
    if (!loop)
        return 1;
    server = eddy_create_server(loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_server_error, loop);
    eddy_signal_start(loop, SIGINT, on_signal, loop);
    eddy_signal_start(loop, SIGTERM, on_signal, loop);
    char *end;
    long port = strtol(where, &end, 10);
    int rc = *end ? eddy_server_listen_path(server, where, on_listening, NULL)
                  : eddy_server_listen(server, (int)port, "127.0.0.1", on_listening, NULL);
    if (rc < 0) {
        fprintf(stderr, "chat: %s: %s\n", where, eddy_strerror(rc));
        return 2;
    }
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? status : 1;
}
