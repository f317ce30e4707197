/* http-hello: an HTTP/1.1 server that answers every request with "Hello, world\n",
 * keeping connections alive (wrk -t 1 -c 100 http://127.0.0.1:PORT/).
 *
 *   http-hello [port]   (default 8080 on 127.0.0.1; 0: any port, printed)
 * SIGINT or SIGTERM: closes the server and its connections, exit status 0.
 *
 * A request is everything up to its blank line (request bodies are not supported: a
 * request with a body gets 501 and the connection is closed). Pipelined requests are
 * answered in order, n replies in one write. "Connection: close", and HTTP/1.0 without
 * "Connection: keep-alive", end the connection after the reply, as RFC 9112 says. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eddy.h"

enum { MAX_CONNS = 4096, MAX_HEAD = 8192 };

#define BODY "Hello, world\n"
static const char reply_keep[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 "Content-Length: 13\r\n\r\n" BODY;
static const char reply_close[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                  "Content-Length: 13\r\nConnection: close\r\n\r\n" BODY;
static const char reply_501[] = "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n"
                                "Connection: close\r\n\r\n";
static const char reply_431[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";

struct conn {
    eddy_socket *s;
    size_t len;
    char head[MAX_HEAD]; /* the request head received so far */
};

static eddy_server *server;
static struct conn *conns[MAX_CONNS];
static size_t nconns;

/* The value of header name in a request head, compared case-insensitively. */
static bool header_has(const char *head, const char *name, const char *value)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ' || *v == '\t')
                v++;
            return strncasecmp(v, value, strlen(value)) == 0;
        }
    }
    return false;
}

static bool header_present(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
            return true;
    return false;
}

/* Answers one complete head (NUL-terminated, without its blank line). false: the
 * connection ends after this reply. */
static bool answer(struct conn *c, const char *head)
{
    if (header_present(head, "Content-Length") || header_present(head, "Transfer-Encoding")) {
        eddy_socket_end(c->s, reply_501, sizeof reply_501 - 1);
        return false;
    }
    const char *eol = strstr(head, "\r\n");
    bool http10 = eol ? (eol - head >= 8 && strncmp(eol - 8, "HTTP/1.0", 8) == 0)
                      : (strlen(head) >= 8 && strcmp(head + strlen(head) - 8, "HTTP/1.0") == 0);
    bool keep = http10 ? header_has(head, "Connection", "keep-alive")
                       : !header_has(head, "Connection", "close");
    if (!keep) {
        eddy_socket_end(c->s, reply_close, sizeof reply_close - 1);
        return false;
    }
    eddy_socket_write(c->s, reply_keep, sizeof reply_keep - 1, NULL, NULL);
    return true;
}

static void on_data(const eddy_event *ev, void *ctx)
{
    struct conn *c = ctx;
    const char *p = ev->u.data.bytes;
    size_t n = ev->u.data.len;
    while (n > 0) {
        size_t room = MAX_HEAD - 1 - c->len;
        if (room == 0) {
            eddy_socket_end(c->s, reply_431, sizeof reply_431 - 1);
            return;
        }
        size_t k = n < room ? n : room;
        memcpy(c->head + c->len, p, k);
        c->len += k;
        c->head[c->len] = '\0';
        p += k;
        n -= k;
        char *blank;
        size_t used = 0;
        while ((blank = strstr(c->head + used, "\r\n\r\n")) != NULL) {
            *blank = '\0';
            if (!answer(c, c->head + used))
                return; /* ended: what follows is not read */
            used = (size_t)(blank + 4 - c->head);
        }
        memmove(c->head, c->head + used, c->len - used + 1);
        c->len -= used;
    }
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct conn *c = ctx;
    for (size_t i = 0; i < nconns; i++)
        if (conns[i] == c) {
            conns[i] = conns[--nconns];
            break;
        }
    free(c);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* a client reset: 'close' follows */
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    struct conn *c = nconns < MAX_CONNS ? malloc(sizeof *c) : NULL;
    if (!c) {
        eddy_socket_destroy(ev->u.socket);
        return;
    }
    c->s = ev->u.socket;
    c->len = 0;
    conns[nconns++] = c;
    eddy_socket_set_no_delay(c->s, true);
    eddy_emitter *e = eddy_emitter_of(c->s);
    eddy_on(e, "data", on_data, c);
    eddy_on(e, "error", on_error, c);
    eddy_on(e, "close", on_close, c);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_address a;
    eddy_server_address(ev->target, &a);
    printf("http-hello: listening on http://%s:%d/\n", a.address, a.port);
    fflush(stdout);
}

static int status;

static void on_server_error(const eddy_event *ev, void *ctx)
{
    fprintf(stderr, "http-hello: %s: %s\n", ev->u.error.syscall, eddy_strerror(ev->u.error.code));
    status = 1;
    eddy_server_close(server, NULL, NULL);
    eddy_loop_close_all(ctx);
}

static void on_signal(int signum, void *ctx)
{
    (void)signum;
    eddy_server_close(server, NULL, NULL);
    for (size_t i = 0; i < nconns; i++)
        eddy_socket_destroy(conns[i]->s);
    eddy_loop_close_all(ctx);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    eddy_loop *loop = eddy_loop_new();
    if (!loop)
        return 1;
    server = eddy_create_server(loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(server), "error", on_server_error, loop);
    eddy_signal_start(loop, SIGINT, on_signal, loop);
    eddy_signal_start(loop, SIGTERM, on_signal, loop);
    if (eddy_server_listen(server, port, "127.0.0.1", on_listening, NULL) < 0) {
        fprintf(stderr, "usage: http-hello [port]\n");
        return 2;
    }
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(loop) == 0 ? status : 1;
}
