/* Shared by the net tests: an event log that reads like Node's, ports and addresses,
 * checksummed byte streams, fd accounting. Header-only (static inline functions) so that
 * each test executable stays one .c file plus helpers.c, as tests/meson.build builds them.
 *
 * The event log: net_record(log, obj, "client", "connect data end close") adds one listener
 * per named event on obj; each event appends "client:connect", "client:data(bytes)",
 * "client:end", "client:close(false)", "client:error(ECONNRESET,read)"... to log->text,
 * separated by spaces, so that a test asserts a whole order with one cr_assert_str_eq.
 * Consecutive 'data' events of one recorder are merged into one entry ("data(hello)")
 * because TCP may split a write into several reads. */
#ifndef EDDY_TESTS_NET_HELPERS_H
#define EDDY_TESTS_NET_HELPERS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "eddy.h"
#include "helpers.h"

enum { NET_LOG_TEXT = 8192, NET_LOG_RECORDERS = 48 };

typedef struct net_log net_log;

typedef struct net_recorder {
    net_log *log;
    char who[24];
} net_recorder;

struct net_log {
    char text[NET_LOG_TEXT];
    size_t len;
    const net_recorder *open_data; /* the recorder whose data(...) entry ends the text */
    net_recorder recs[NET_LOG_RECORDERS];
    int nrecs;
};

/* Appends one entry (printf-style), space-separated from the previous one. */
static inline void net_log_add(net_log *l, const char *fmt, ...)
{
    l->open_data = NULL;
    if (l->len && l->len < sizeof l->text - 1)
        l->text[l->len++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < sizeof l->text - l->len ? (size_t)n : sizeof l->text - l->len - 1;
}

static inline void net_log_bytes(net_log *l, const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    for (size_t i = 0; i < len && l->len + 2 < sizeof l->text; i++)
        l->text[l->len++] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '.';
    l->text[l->len] = '\0';
}

static inline void net_record_event(const eddy_event *ev, void *ctx)
{
    net_recorder *r = ctx;
    net_log *l = r->log;
    const char *name = ev->name;
    if (strcmp(name, "data") == 0) {
        if (l->open_data == r && l->len > 0 && l->text[l->len - 1] == ')') {
            l->len--; /* reopen "who:data(...)" */
        } else {
            net_log_add(l, "%s:data(", r->who);
        }
        net_log_bytes(l, ev->u.data.bytes, ev->u.data.len);
        if (l->len + 1 < sizeof l->text)
            l->text[l->len++] = ')';
        l->text[l->len] = '\0';
        l->open_data = r;
    } else if (strcmp(name, "close") == 0 && strncmp(r->who, "server", 6) != 0) {
        net_log_add(l, "%s:close(%s)", r->who, ev->u.had_error ? "true" : "false");
    } else if (strcmp(name, "error") == 0) {
        net_log_add(l, "%s:error(%s,%s)", r->who, eddy_err_name(ev->u.error.code),
                    ev->u.error.syscall ? ev->u.error.syscall : "?");
    } else {
        net_log_add(l, "%s:%s", r->who, name);
    }
}

/* Records the space-separated events of obj (a server or a socket) under the name who.
 * Recorders whose name starts with "server" log 'close' without a had_error payload. */
static inline void net_record(net_log *l, void *obj, const char *who, const char *events)
{
    if (l->nrecs >= NET_LOG_RECORDERS)
        return;
    net_recorder *r = &l->recs[l->nrecs++];
    r->log = l;
    snprintf(r->who, sizeof r->who, "%s", who);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", events);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        /* listeners are added under string literals, which outlive every emitter */
        static const char *const names[] = {"listening", "connection", "close", "error",
                                            "connect",   "data",       "end",   "timeout",
                                            "drain",     "fd",         "finish", "ready",
                                            "drop"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(tok, names[i]) == 0)
                eddy_on(eddy_emitter_of(obj), names[i], net_record_event, r);
    }
}

/* ---- addresses and ports ---- */

/* True when a socket can be bound to ::1 (IPv6 loopback usable here). */
static inline bool ipv6_loopback_available(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A port on 127.0.0.1 that nobody listens on: bind a socket to port 0, read its port,
 * close it. (Another process could take it in between; the window is tiny.) */
static inline int unused_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* The port a listening server is bound to, or -1. */
static inline int server_port(const eddy_server *s)
{
    eddy_address a;
    if (eddy_server_address(s, &a) != 0)
        return -1;
    return a.port;
}

/* ---- byte streams ---- */

#define FNV1A_INIT 0xcbf29ce484222325ULL

static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* A pseudo-random byte stream (xorshift64*): fills buf with its next n bytes. */
static inline void prng_fill(uint64_t *state, void *buf, size_t n)
{
    unsigned char *b = buf;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        b[i] = (unsigned char)((x * 0x2545F4914F6CDD1DULL) >> 56);
    }
}

/* ---- process resources ---- */

/* Descriptors open in this process now. */
static inline int open_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* Raises the soft RLIMIT_NOFILE to at least want (up to the hard limit). True when the
 * soft limit is now at least want. */
static inline bool raise_nofile_to(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    if (rl.rlim_cur >= want)
        return true;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
        return false;
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* CPU time (user + system) used by this process, in ms. */
static inline double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* ---- small listeners that many tests need ---- */

/* ctx: the eddy_server to close. */
static inline void close_server_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(ctx, NULL, NULL);
}

/* Destroys the socket that emitted the event. */
static inline void destroy_target_listener(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_destroy(ev->target);
}

/* Ends the socket that emitted the event. */
static inline void end_target_listener(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, NULL, 0);
}

/* Counts the events it hears: ctx is an int. */
static inline void count_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (*(int *)ctx)++;
}

/* ---- a server and one client in one loop ---- */

/* The usual scenario: a server listens on host (port 0), and once 'listening' arrives a
 * client connects to it. The server's events and its connections' go to slog (as
 * "server:..." and "conn:..."), the client's to clog ("client:..."): the two sides are
 * logged apart because only the order within a side is fixed; across sides it depends on
 * which socket the kernel reports first. The hooks add the scenario's own actions. When a
 * connection closes, the server is closed (unless keep_server), so that the loop ends by
 * itself once the scenario is over. */
typedef struct net_pair net_pair;
struct net_pair {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *client;
    eddy_socket *conn; /* the last accepted connection */
    net_log slog;
    net_log clog;
    const char *host;                       /* where to listen and connect; NULL: "127.0.0.1" */
    const char *client_events;              /* NULL: "connect data end close error" */
    const char *conn_events;                /* NULL: "data end close error" */
    const eddy_socket_options *client_opts; /* set: eddy_socket_new + eddy_socket_connect */
    /* set: eddy_connect with these options, port and host (unless given) filled in */
    const eddy_connect_options *client_connect;
    bool keep_server;                       /* do not close the server when a connection closes */
    void (*client_ready)(net_pair *p);      /* right after the client was created */
    void (*conn_ready)(net_pair *p, eddy_socket *conn); /* in the server's 'connection' */
    void *user;
    int port;
    int fds_before;
};

static inline void net_pair_on_connection(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    eddy_socket *conn = ev->u.socket;
    net_log_add(&p->slog, "server:connection");
    p->conn = conn;
    net_record(&p->slog, conn, "conn", p->conn_events ? p->conn_events : "data end close error");
    if (!p->keep_server)
        eddy_on(eddy_emitter_of(conn), "close", close_server_listener, p->server);
    if (p->conn_ready)
        p->conn_ready(p, conn);
}

static inline void net_pair_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    net_pair *p = ctx;
    p->port = server_port(p->server);
    cr_assert_gt(p->port, 0, "eddy_server_address in 'listening' gave no port");
    const char *host = p->host ? p->host : "127.0.0.1";
    if (p->client_connect) {
        eddy_connect_options o = *p->client_connect;
        o.port = p->port;
        if (!o.host)
            o.host = host;
        p->client = eddy_connect(p->loop, &o, NULL, NULL);
        cr_assert_not_null(p->client, "eddy_connect returned NULL");
    } else if (p->client_opts) {
        p->client = eddy_socket_new(p->loop, p->client_opts);
        cr_assert_not_null(p->client, "eddy_socket_new returned NULL");
        cr_assert_eq(eddy_socket_connect(p->client, p->port, host, NULL, NULL), 0);
    } else {
        p->client = eddy_create_connection(p->loop, p->port, host, NULL, NULL);
        cr_assert_not_null(p->client, "eddy_create_connection returned NULL");
    }
    net_record(&p->clog, p->client, "client",
               p->client_events ? p->client_events : "connect data end close error");
    if (p->client_ready)
        p->client_ready(p);
}

/* Makes the loop (unless p->loop is set) and the server, and starts listening. */
static inline void net_pair_start(net_pair *p, const eddy_server_options *opts)
{
    p->fds_before = open_fd_count();
    if (!p->loop)
        p->loop = eddy_loop_new();
    cr_assert_not_null(p->loop);
    p->server = eddy_create_server(p->loop, opts, net_pair_on_connection, p);
    cr_assert_not_null(p->server, "eddy_create_server returned NULL");
    net_record(&p->slog, p->server, "server", "listening close error");
    cr_assert_eq(
        eddy_server_listen(p->server, 0, p->host ? p->host : "127.0.0.1", net_pair_on_listening, p),
        0);
}

/* run_loop_for, and stricter: true only when the loop ended by itself well before the
 * limit. A loop that "ends by itself" exactly at the limit slept on the (unreferenced)
 * watchdog timer although nothing alive was left: that is a bug of its own. */
static inline bool loop_ends_by_itself(eddy_loop *loop, uint64_t limit_ms)
{
    uint64_t t0 = mono_ns();
    bool ended = run_loop_for(loop, limit_ms);
    uint64_t elapsed_ms = (mono_ns() - t0) / 1000000u;
    if (!ended) {
        cr_log_error("the loop was still running after %llu ms", (unsigned long long)limit_ms);
        return false;
    }
    if (elapsed_ms >= limit_ms - limit_ms / 10) {
        cr_log_error("the loop ended only at its %llu ms limit: it slept on an unreferenced "
                     "timer with nothing alive",
                     (unsigned long long)limit_ms);
        return false;
    }
    return true;
}

/* Runs the pair's loop for at most ms and asserts that it ended by itself (showing both
 * logs when it did not). */
#define assert_pair_ends(p, ms)                                                                    \
    cr_assert(loop_ends_by_itself((p)->loop, (ms)),                                                \
              "the loop did not end by itself within %d ms\n  server side: %s\n  client side: %s", \
              (int)(ms), (p)->slog.text, (p)->clog.text)

/* Every object was released (the loop frees) and every descriptor closed. */
#define assert_all_released(loop, fds_before)                                                      \
    do {                                                                                           \
        cr_assert_eq(eddy_loop_free(loop), 0, "an object of the loop is still alive");             \
        cr_assert_eq(open_fd_count(), (fds_before), "descriptors leaked");                         \
    } while (0)

/* True when s equals one of the NULL-terminated alternatives. */
static inline bool str_is_one_of(const char *s, const char *const *alts)
{
    for (; *alts; alts++)
        if (strcmp(s, *alts) == 0)
            return true;
    return false;
}

#endif
