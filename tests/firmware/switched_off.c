/* The minimal build (-DEDDY_MINIMAL, every switch of eddy/config.h): each switched-off call
 * links and returns the error its header documents, and what is left works: TCP servers
 * over IP literals and "localhost" with clients wrapped by fd (libc's connect(2): eddy
 * has no connect), names failing as ENOTFOUND, the diagnostics hook. Built by
 * scripts/check-vendoring.sh with the one cc line: cc -std=c11 -DEDDY_MINIMAL -Iinclude -Isrc
 * src/(every .c) tests/firmware/switched_off.c Prints one line per check; exit status 0 when all
 * passed. */
/* pipe, fileno, sigaction, sockets: POSIX, beside the C11 of the line */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"

#ifndef EDDY_MINIMAL
#error "build this with -DEDDY_MINIMAL"
#endif

static int failures;

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok   %s\n", what);                                                             \
        } else {                                                                                   \
            printf("FAIL %s (%s:%d)\n", what, __FILE__, __LINE__);                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static struct {
    int errors[8];
    const char *syscalls[8];
    int n_errors;
    int accepted;
    int echoed;
    int resolver_calls;
    int counted;
    char diag[256];
    eddy_server *server;
} seen;

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (seen.n_errors < 8) {
        seen.syscalls[seen.n_errors] = ev->u.error.syscall;
        seen.errors[seen.n_errors++] = ev->u.error.code;
    }
}

static void on_conn_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    seen.accepted++;
    eddy_on(eddy_emitter_of(ev->u.socket), "data", on_conn_data, NULL);
}

static void on_client_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (ev->u.data.len == 4 && memcmp(ev->u.data.bytes, "ping", 4) == 0)
        seen.echoed++;
    eddy_socket_destroy(ev->target);
}

/* A TCP client to 127.0.0.1:port by libc (a blocking connect(2): the server's backlog
 * completes it before the loop accepts), wrapped by eddy_socket_new. */
static eddy_socket *tcp_client(eddy_loop *loop, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    eddy_socket_options o = {.fd = fd, .use_fd = true};
    eddy_socket *s = eddy_socket_new(loop, &o);
    if (!s)
        close(fd);
    return s;
}

static void on_diag(const eddy_diagnostic *d, void *ctx)
{
    (void)ctx;
    snprintf(seen.diag, sizeof seen.diag, "%s", d->text);
}

static void resolver(eddy_lookup *req, const char *host, int family, void *ctx)
{
    (void)host, (void)family, (void)ctx;
    seen.resolver_calls++;
    eddy_lookup_done(req, EDDY_ENOTFOUND, NULL, 0);
}

static bool on_read(eddy_socket *s, size_t nread, void *buf, void *ctx)
{
    (void)s, (void)nread, (void)buf, (void)ctx;
    return true;
}

static void never_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    failures++;
    puts("FAIL a listener that must never run ran");
}

static void count_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    seen.counted++;
}

static void never(void *arg)
{
    (void)arg;
}

static void never_signal(int signum, void *ctx)
{
    (void)signum, (void)ctx;
    failures++;
    puts("FAIL a signal watcher that must never run ran");
}

struct limit {
    eddy_loop *loop;
    bool fired;
};

static void stop_after(void *arg)
{
    struct limit *l = arg;
    l->fired = true;
    eddy_loop_stop(l->loop);
}

/* Runs the loop until nothing is left, or for ms at most. */
static void run(eddy_loop *loop, unsigned ms)
{
    struct limit l = {loop, false};
    eddy_timer *t = eddy_set_timeout(loop, ms, stop_after, &l);
    eddy_timer_unref(t);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    if (!l.fired)
        eddy_clear_timer(t);
}

static int zone_error;

static void on_zone_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    zone_error = ev->u.error.code;
}

/* The error of listening on host: 0 when it listened. */
static int listen_error(eddy_loop *loop, const char *host)
{
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(s), "error", on_zone_error, NULL);
    zone_error = 0;
    if (eddy_server_listen(s, 0, host, NULL, NULL) != 0)
        zone_error = 1;
    run(loop, 100);
    eddy_server_close(s, NULL, NULL);
    run(loop, 100);
    return zone_error;
}

int main(void)
{
    eddy_loop *loop = eddy_loop_new();
    CHECK(loop != NULL, "eddy_loop_new");

    /* EDDY_NO_POST */
    CHECK(eddy_loop_post(loop, never, NULL) == -ENOSYS, "eddy_loop_post: -ENOSYS");
    /* EDDY_NO_ISIP */
    CHECK(eddy_is_ip("127.0.0.1") == -ENOSYS, "eddy_is_ip: -ENOSYS");
    CHECK(!eddy_is_ipv4("127.0.0.1") && !eddy_is_ipv6("::1"), "eddy_is_ipv4/6: false");
    /* EDDY_NO_DIAGNOSTICS_TEXT */
    CHECK(strcmp(eddy_strerror(-ECONNRESET), "ECONNRESET") == 0, "eddy_strerror: the name");
    CHECK(strcmp(eddy_err_name(-EADDRINUSE), "EADDRINUSE") == 0, "eddy_err_name: kept");
    /* EDDY_NO_ENCODINGS */
    CHECK(eddy_encoding_from_name("utf8") == -ENOSYS, "eddy_encoding_from_name: -ENOSYS");
    /* EDDY_NO_UNIX */
    eddy_server *server = eddy_create_server(loop, NULL, on_connection, NULL);
    seen.server = server;
    CHECK(eddy_server_listen_path(server, "/tmp/eddy-minimal.sock", NULL, NULL) == -ENOSYS,
          "eddy_server_listen_path: -ENOSYS");
    CHECK(eddy_create_connection_path(loop, "/tmp/eddy-minimal.sock", NULL, NULL) == NULL,
          "eddy_create_connection_path: NULL");
    eddy_socket_options unix_opts = {.type = "unix"};
    CHECK(eddy_socket_new(loop, &unix_opts) == NULL, "eddy_socket_new type unix: NULL");
    eddy_socket *plain = eddy_socket_new(loop, NULL);
    CHECK(eddy_socket_connect_path(plain, "/tmp/eddy-minimal.sock", NULL, NULL) == -ENOSYS,
          "eddy_socket_connect_path: -ENOSYS");
    eddy_connect_options path_opts = {.path = "/tmp/eddy-minimal.sock"};
    CHECK(eddy_connect(loop, &path_opts, NULL, NULL) == NULL, "eddy_connect with a path: NULL");
    /* EDDY_NO_ENCODINGS on a socket */
    CHECK(eddy_socket_set_encoding(plain, EDDY_ENC_UTF8) == -ENOSYS,
          "eddy_socket_set_encoding utf8: -ENOSYS");
    CHECK(eddy_socket_set_encoding(plain, EDDY_ENC_BUFFER) == 0,
          "eddy_socket_set_encoding buffer: 0");
    eddy_on(eddy_emitter_of(plain), "error", on_error, NULL);
    CHECK(!eddy_socket_write_string(plain, "00ff", EDDY_ENC_HEX, NULL, NULL),
          "eddy_socket_write_string hex: false");
    run(loop, 100);
    CHECK(seen.n_errors == 1 && seen.errors[0] == -ENOSYS, "... then 'error' -ENOSYS");
    /* EDDY_NO_FD_PASSING */
    eddy_socket *fdsock = eddy_socket_new(loop, NULL);
    eddy_on(eddy_emitter_of(fdsock), "error", on_error, NULL);
    CHECK(!eddy_socket_write_fd(fdsock, "x", 1, 0, NULL, NULL), "eddy_socket_write_fd: false");
    run(loop, 100);
    CHECK(seen.n_errors == 2 && seen.errors[1] == -ENOSYS, "... then 'error' -ENOSYS");

    /* EDDY_NO_USER_RESOLVER */
    CHECK(eddy_lookup_done(NULL, 0, NULL, 0) == -ENOSYS, "eddy_lookup_done: -ENOSYS");
    eddy_connect_options lookup_opts = {.host = "example.invalid", .port = 1, .lookup = resolver};
    CHECK(eddy_connect(loop, &lookup_opts, NULL, NULL) == NULL, "eddy_connect with lookup: NULL");
    lookup_opts.host = "127.0.0.1";
    CHECK(eddy_socket_connect_opts(plain, &lookup_opts, NULL, NULL) == -ENOSYS,
          "eddy_socket_connect_opts with lookup: -ENOSYS");
    CHECK(seen.resolver_calls == 0 && !eddy_socket_connecting(plain), "... and nothing happens");

    /* EDDY_NO_ONREAD */
    static char onread_buf[64];
    eddy_onread onread = {.buffer = onread_buf, .size = sizeof onread_buf, .callback = on_read};
    CHECK(eddy_socket_set_onread(plain, &onread) == -ENOSYS, "eddy_socket_set_onread: -ENOSYS");
    eddy_connect_options onread_opts = {.host = "127.0.0.1", .port = 1, .onread = &onread};
    CHECK(eddy_connect(loop, &onread_opts, NULL, NULL) == NULL, "eddy_connect with onread: NULL");
    CHECK(eddy_socket_connect_opts(plain, &onread_opts, NULL, NULL) == -ENOSYS &&
              !eddy_socket_connecting(plain),
          "eddy_socket_connect_opts with onread: -ENOSYS, nothing happens");

    /* EDDY_NO_CORK */
    CHECK(eddy_socket_cork(plain) == -ENOSYS && eddy_socket_uncork(plain) == -ENOSYS,
          "eddy_socket_cork/uncork: -ENOSYS");
    CHECK(eddy_socket_cork(NULL) == -EINVAL, "eddy_socket_cork(NULL): -EINVAL");

    /* EDDY_NO_SIGNALS (dispositions compared with the ones before: SIG_IGN, not SIG_DFL, in
     * a program started in the background) */
    struct sigaction int_before, term_before, int_after, term_after;
    sigaction(SIGINT, NULL, &int_before);
    sigaction(SIGTERM, NULL, &term_before);
    int sig_err = 0;
    CHECK(eddy_signal_start(loop, SIGINT, never_signal, NULL) == NULL, "eddy_signal_start: NULL");
    CHECK(eddy_signal_start_ex(loop, SIGTERM, never_signal, NULL, &sig_err) == NULL &&
              sig_err == -ENOSYS,
          "eddy_signal_start_ex: NULL, *err -ENOSYS");
    eddy_signal_stop(NULL);
    eddy_signal_unref(NULL);
    eddy_signal_ref(NULL);
    CHECK(eddy_signal_signum(NULL) == 0, "eddy_signal_stop/unref/ref(NULL) do nothing, signum 0");
    CHECK(sigaction(SIGINT, NULL, &int_after) == 0 && sigaction(SIGTERM, NULL, &term_after) == 0 &&
              int_after.sa_handler == int_before.sa_handler &&
              term_after.sa_handler == term_before.sa_handler,
          "... and no handler installed (SIGINT's and SIGTERM's dispositions unchanged)");

    /* EDDY_NO_USER_EVENTS */
    eddy_emitter *em = eddy_emitter_new();
    CHECK(em != NULL, "eddy_emitter_new");
    CHECK(eddy_on(em, "tick", never_listener, NULL) == -ENOSYS &&
              eddy_once(em, "tick", never_listener, NULL) == -ENOSYS &&
              eddy_prepend_listener(em, "tick", never_listener, NULL) == -ENOSYS,
          "eddy_on/once/prepend with a name of one's own: -ENOSYS");
    CHECK(eddy_emit(em, "tick", NULL) == -ENOSYS, "eddy_emit of a name of one's own: -ENOSYS");
    CHECK(eddy_listener_count(em, "tick") == 0 && eddy_off(em, "tick", never_listener, NULL) == 0 &&
              eddy_remove_all_listeners(em, "tick") == 0,
          "eddy_off/listener_count/remove_all_listeners find nothing: 0");
    CHECK(eddy_on(em, "data", count_listener, NULL) == 0 && eddy_emit(em, "data", NULL) == 1 &&
              seen.counted == 1,
          "the library's own names still work");
    eddy_emitter_free(em);

    /* EDDY_NO_PIPE_TTY */
    int pfd[2];
    CHECK(pipe(pfd) == 0, "pipe");
    eddy_socket_options pipe_opts = {.fd = pfd[0], .use_fd = true};
    CHECK(eddy_socket_new(loop, &pipe_opts) == NULL, "eddy_socket_new with a pipe: NULL");
    close(pfd[0]);
    close(pfd[1]);
    FILE *file = tmpfile();
    eddy_server *file_server = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(file_server), "error", on_error, NULL);
    CHECK(file && eddy_server_listen_fd(file_server, fileno(file), NULL, NULL) == 0,
          "eddy_server_listen_fd on a regular file: 0");
    run(loop, 100);
    CHECK(seen.n_errors == 3 && seen.errors[2] == -ENOTSOCK && !strcmp(seen.syscalls[2], "listen"),
          "... then 'error' ENOTSOCK (listen)");
    eddy_server_close(file_server, NULL, NULL);
    if (file)
        fclose(file);

    /* What is left: TCP servers over an IP literal and over "localhost" (127.0.0.1). */
    CHECK(eddy_server_listen(server, 0, "127.0.0.1", NULL, NULL) == 0, "listen 127.0.0.1:0");
    run(loop, 50);
    eddy_address addr;
    CHECK(eddy_server_address(server, &addr) == 0 && addr.port > 0 &&
              strcmp(addr.address, "127.0.0.1") == 0,
          "server address 127.0.0.1:port");

    /* EDDY_NO_CONNECT: nothing reaches the listening server. */
    eddy_connect_options tcp_opts = {.host = "127.0.0.1", .port = addr.port};
    CHECK(eddy_create_connection(loop, addr.port, "127.0.0.1", NULL, NULL) == NULL,
          "eddy_create_connection: NULL");
    CHECK(eddy_connect(loop, &tcp_opts, NULL, NULL) == NULL, "eddy_connect: NULL");
    CHECK(eddy_socket_connect(plain, addr.port, "127.0.0.1", NULL, NULL) == -ENOSYS &&
              eddy_socket_connect_opts(plain, &tcp_opts, NULL, NULL) == -ENOSYS &&
              !eddy_socket_connecting(plain),
          "eddy_socket_connect/_opts: -ENOSYS, not connecting");
    CHECK(eddy_socket_connect(NULL, addr.port, "127.0.0.1", NULL, NULL) == -EINVAL,
          "eddy_socket_connect(NULL): -EINVAL");
    run(loop, 100);
    CHECK(seen.accepted == 0, "... and no connection reached the server");

    /* Clients by fd (eddy_socket_new), to a server on 127.0.0.1 and one on localhost. */
    eddy_server *local_server = eddy_create_server(loop, NULL, on_connection, NULL);
    CHECK(eddy_server_listen(local_server, 0, "localhost", NULL, NULL) == 0, "listen localhost:0");
    run(loop, 50);
    eddy_address local_addr;
    CHECK(eddy_server_address(local_server, &local_addr) == 0 && local_addr.port > 0 &&
              strcmp(local_addr.address, "127.0.0.1") == 0,
          "... its address 127.0.0.1:port");
    const int ports[2] = {addr.port, local_addr.port};
    for (int i = 0; i < 2; i++) {
        eddy_socket *c = tcp_client(loop, ports[i]);
        CHECK(c != NULL, "a connected TCP fd wrapped by eddy_socket_new");
        if (!c)
            continue;
        eddy_on(eddy_emitter_of(c), "data", on_client_data, NULL);
        CHECK(eddy_socket_write(c, "ping", 4, NULL, NULL), "... written to");
        run(loop, 2000);
        CHECK(seen.accepted == i + 1 && seen.echoed == i + 1,
              i == 0 ? "echo round trip with the server on 127.0.0.1"
                     : "echo round trip with the server on localhost");
    }
    eddy_server_close(local_server, NULL, NULL);

    /* EDDY_NO_RESOLVER: another name fails as Node's unresolvable name does. */
    eddy_server *named = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(named), "error", on_error, NULL);
    CHECK(eddy_server_listen(named, 0, "example.invalid", NULL, NULL) == 0,
          "eddy_server_listen on a name: 0");
    run(loop, 2000);
    CHECK(seen.n_errors == 4 && seen.errors[3] == EDDY_ENOTFOUND &&
              strcmp(seen.syscalls[3], "getaddrinfo") == 0,
          "... then 'error' ENOTFOUND (getaddrinfo)");
    eddy_server_close(named, NULL, NULL);

    /* EDDY_NO_RESOLVER: a zone's interface name is not looked up. fe80::1 is on no
     * interface here: with the loopback's index the bind says EADDRNOTAVAIL, while the
     * loopback's name stands for no interface (zone 0), which a link-local bind refuses
     * with EINVAL. */
    unsigned lo = if_nametoindex("lo");
    if (lo) {
        char numeric[32];
        snprintf(numeric, sizeof numeric, "fe80::1%%%u", lo);
        CHECK(listen_error(loop, numeric) == -EADDRNOTAVAIL,
              "listen fe80::1%<lo's index>: EADDRNOTAVAIL");
        CHECK(listen_error(loop, "fe80::1%lo") == -EINVAL,
              "listen fe80::1%lo: EINVAL (the name is not looked up)");
    }

    /* Diagnostics go to the hook (no stdio in the library). */
    eddy_emitter *e = eddy_emitter_new();
    eddy_emitter_on_diagnostic(e, on_diag, NULL);
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.error.code = -ECONNRESET;
    ev.u.error.syscall = "read";
    eddy_emit(e, "error", &ev);
    CHECK(strcmp(seen.diag, "eddy: unhandled 'error' event: ECONNRESET (ECONNRESET) [read]") == 0,
          "unhandled 'error' line to the hook, names for messages");
    /* EDDY_NO_DIAGNOSTICS_TEXT: the max-listeners line is fixed. */
    eddy_set_max_listeners(e, 1);
    eddy_on(e, "data", count_listener, NULL);
    eddy_on(e, "data", count_listener, NULL);
    CHECK(strcmp(seen.diag, "eddy: possible listener leak (eddy_set_max_listeners)") == 0,
          "max-listeners line to the hook, fixed");
    eddy_emitter_free(e);

    eddy_server_close(server, NULL, NULL);
    run(loop, 2000);
    CHECK(eddy_loop_free(loop) == 0, "eddy_loop_free: 0 (nothing left)");
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
