/* Rare paths that must neither crash nor fail silently: the server's EADDRINUSE retry
 * recipe (TCP and a stale UNIX socket file, with and without close), a connection the
 * server has no memory for, interest changes the backend rejects, calls that used to
 * return nothing, descriptors beyond 8 in one message, the descriptor limit.
 *
 * Linked with tests/support/backend_faulty.c (the real backend, whose update a test can
 * make fail for one fd). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "backend_faulty.h"
#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

/* ---- an allocator that fails on demand (each Criterion test is its own process) ---- */

static bool fail_allocations;
static int spare_allocations; /* let through once fail_allocations is set, then fail */

static bool allocation_fails(void)
{
    if (!fail_allocations)
        return false;
    if (spare_allocations > 0) {
        spare_allocations--;
        return false;
    }
    return true;
}

static void *maybe_malloc(size_t n)
{
    return allocation_fails() ? NULL : malloc(n);
}

static void *maybe_realloc(void *p, size_t n)
{
    return allocation_fails() ? NULL : realloc(p, n);
}

static void restore_allocator(void)
{
    fail_allocations = false;
    spare_allocations = 0;
    eddy_set_allocator(NULL, NULL, NULL);
}

static void use_failing_allocator(void)
{
    fail_allocations = false;
    spare_allocations = 0;
    eddy_set_allocator(maybe_malloc, maybe_realloc, free);
}

TestSuite(failures, .fini = restore_allocator);

static void count_event(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (*(int *)ctx)++;
}

/* A TCP listener on 127.0.0.1 made without eddy: its port is busy for eddy. */
static int raw_tcp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* What a killed server leaves behind: a socket file that nobody listens on. */
static void make_stale_unix_file(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    cr_assert_lt(strlen(path), sizeof a.sun_path);
    memcpy(a.sun_path, path, strlen(path) + 1);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd); /* not unlinked */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
}

/* ---- 1. the seed's EADDRINUSE retry recipe, any number of times ----
 * node v20, for each retry: server.on('error', e => setTimeout(() => { server.close(cb);
 * server.listen(port) })): 'close' (cb gets ERR_SERVER_NOT_RUNNING), then 'error'
 * EADDRINUSE again; without close(), 'error' alone. The tenth error frees the address, so
 * the eleventh listen succeeds; 'listening' closes the server for good. */

enum { RETRIES = 10 };

struct retry {
    eddy_loop *loop;
    eddy_server *server;
    bool with_close, over_unix;
    int port, holder_fd;
    char dir[64], path[128];
    int errors, close_cbs, not_running;
    net_log log;
};

static void retry_close_cb(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct retry *)ctx)->close_cbs++;
}

static void retry_listen(struct retry *r)
{
    int rc = r->over_unix ? eddy_server_listen_path(r->server, r->path, NULL, NULL)
                          : eddy_server_listen(r->server, r->port, "127.0.0.1", NULL, NULL);
    cr_assert_eq(rc, 0);
}

static void retry_fire(void *arg)
{
    struct retry *r = arg;
    if (r->with_close) {
        int rc = eddy_server_close(r->server, retry_close_cb, r);
        if (rc == -ENOTCONN)
            r->not_running++;
    }
    retry_listen(r);
}

static void retry_on_error(const eddy_event *ev, void *ctx)
{
    struct retry *r = ctx;
    cr_assert_eq(ev->u.error.code, -EADDRINUSE, "%s", eddy_err_name(ev->u.error.code));
    cr_assert_str_eq(ev->u.error.syscall, "listen");
    if (++r->errors == RETRIES) {
        /* The address becomes free: the next retry succeeds. */
        if (r->over_unix)
            unlink(r->path);
        else
            close(r->holder_fd);
    }
    cr_assert_not_null(eddy_set_timeout(r->loop, 2, retry_fire, r));
}

static void retry_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct retry *r = ctx;
    cr_assert_eq(eddy_server_close(r->server, NULL, NULL), 0);
}

static void run_retry_recipe(bool with_close, bool over_unix)
{
    int fds_before = open_fd_count();
    struct retry r = {.with_close = with_close, .over_unix = over_unix, .holder_fd = -1};
    r.loop = eddy_loop_new();
    if (over_unix) {
        strcpy(r.dir, "/tmp/eddy-retry-XXXXXX");
        cr_assert_not_null(mkdtemp(r.dir));
        snprintf(r.path, sizeof r.path, "%s/echo.sock", r.dir);
        make_stale_unix_file(r.path);
    } else {
        r.holder_fd = raw_tcp_listener(&r.port);
    }
    r.server = eddy_create_server(r.loop, NULL, NULL, NULL);
    net_record(&r.log, r.server, "s", "listening close error");
    eddy_on(eddy_emitter_of(r.server), "error", retry_on_error, &r);
    eddy_on(eddy_emitter_of(r.server), "listening", retry_on_listening, &r);
    retry_listen(&r);
    cr_assert(loop_ends_by_itself(r.loop, 20000), "log: %s", r.log.text);

    cr_assert_eq(r.errors, RETRIES);
    /* Node's order: each close() of a server that is not running emits 'close' before the
     * 'error' of the listen that follows it. */
    char want[1024] = "s:error(EADDRINUSE,listen)";
    for (int i = 1; i < RETRIES; i++)
        strcat(want, with_close ? " s:close(false) s:error(EADDRINUSE,listen)"
                                : " s:error(EADDRINUSE,listen)");
    strcat(want, with_close ? " s:close(false) s:listening s:close(false)"
                            : " s:listening s:close(false)");
    cr_assert_str_eq(r.log.text, want);
    cr_assert_eq(r.close_cbs, with_close ? RETRIES : 0, "on_close of a stopped server must run");
    cr_assert_eq(r.not_running, with_close ? RETRIES : 0);
    if (over_unix) {
        struct stat st;
        cr_assert_neq(stat(r.path, &st), 0, "the socket file outlived the server");
        rmdir(r.dir);
    }
    assert_all_released(r.loop, fds_before);
}

Test(failures, eaddrinuse_retry_with_close_then_listen_survives_ten_retries_over_tcp)
{
    run_retry_recipe(true, false);
}

Test(failures, eaddrinuse_retry_with_listen_alone_survives_ten_retries_over_tcp)
{
    run_retry_recipe(false, false);
}

Test(failures, stale_unix_socket_retry_with_close_then_listen_survives_ten_retries)
{
    run_retry_recipe(true, true);
}

Test(failures, stale_unix_socket_retry_with_listen_alone_survives_ten_retries)
{
    run_retry_recipe(false, true);
}

/* node: net.createServer().close(cb): cb(ERR_SERVER_NOT_RUNNING), 'close' emitted. */
Test(failures, close_of_a_server_that_never_listened_runs_on_close_and_releases_it)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    int on_close = 0, close_events = 0;
    eddy_on(eddy_emitter_of(s), "close", count_event, &close_events);
    cr_assert_eq(eddy_server_close(s, count_event, &on_close), -ENOTCONN);
    cr_assert_eq(on_close, 0, "never from inside the call");
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(on_close, 1);
    cr_assert_eq(close_events, 1);
    assert_all_released(loop, fds_before);
}

/* A server that listened and was closed is released; one whose listen failed and that
 * was never closed lives on, as the user may retry at any time (the rule in net.h). */
Test(failures, a_server_whose_listen_failed_lives_until_closed)
{
    int fds_before = open_fd_count();
    int port;
    int holder = raw_tcp_listener(&port);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    int errors = 0;
    eddy_on(eddy_emitter_of(s), "error", count_event, &errors);
    cr_assert_eq(eddy_server_listen(s, port, "127.0.0.1", NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(errors, 1);
    cr_assert_eq(eddy_loop_free(loop), -EBUSY, "the server is still the user's");
    /* Long after: retry (and fail again), then give up with close. */
    cr_assert_eq(eddy_server_listen(s, port, "127.0.0.1", NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(errors, 2);
    cr_assert_eq(eddy_server_close(s, NULL, NULL), -ENOTCONN);
    cr_assert(loop_ends_by_itself(loop, 5000));
    close(holder);
    assert_all_released(loop, fds_before);
}

/* ---- 2. a connection the server has no memory for ---- */

struct nomem {
    eddy_server *server;
    int client_fd;
    int errors, connections;
    int code;
    const char *syscall;
};

static void nomem_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct nomem *n = ctx;
    n->client_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)server_port(n->server)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(n->client_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(write(n->client_fd, "data", 4), 4);
    fail_allocations = true; /* the accepted socket cannot be made */
}

static void nomem_error(const eddy_event *ev, void *ctx)
{
    struct nomem *n = ctx;
    fail_allocations = false;
    n->errors++;
    n->code = ev->u.error.code;
    n->syscall = ev->u.error.syscall;
    eddy_server_close(n->server, NULL, NULL);
}

Test(failures, a_connection_without_memory_for_its_socket_is_an_accept_error_on_the_server)
{
    int fds_before = open_fd_count();
    use_failing_allocator();
    eddy_loop *loop = eddy_loop_new();
    struct nomem n = {.client_fd = -1};
    n.server = eddy_create_server(loop, NULL, count_event, &n.connections);
    eddy_on(eddy_emitter_of(n.server), "error", nomem_error, &n);
    cr_assert_eq(eddy_server_listen(n.server, 0, "127.0.0.1", nomem_listening, &n), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(n.errors, 1);
    cr_assert_eq(n.code, -ENOMEM);
    cr_assert_str_eq(n.syscall, "accept");
    cr_assert_eq(n.connections, 0);
    /* The client is not left believing: its connection ends. */
    struct timeval tv = {.tv_sec = 5};
    setsockopt(n.client_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t got = recv(n.client_fd, &c, 1, 0);
    cr_assert(got == 0 || (got < 0 && errno == ECONNRESET), "recv gave %zd (%s)", got,
              strerror(errno));
    close(n.client_fd);
    assert_all_released(loop, fds_before);
}

static void nomem_connection(const eddy_event *ev, void *ctx)
{
    struct nomem *n = ctx;
    fail_allocations = false;
    n->connections++;
    eddy_socket_destroy(ev->u.socket);
    eddy_server_close(n->server, NULL, NULL);
}

/* A server whose accepted sockets get high_water_mark hwm, and a client that connects
 * when memory is left for one allocation only (the accepted socket's own). */
static void accept_with_one_allocation(size_t hwm, struct nomem *n, int fds_before)
{
    use_failing_allocator();
    eddy_loop *loop = eddy_loop_new();
    eddy_server_options o = {.high_water_mark = hwm};
    n->server = eddy_create_server(loop, &o, nomem_connection, n);
    eddy_on(eddy_emitter_of(n->server), "error", nomem_error, n);
    spare_allocations = 1;
    cr_assert_eq(eddy_server_listen(n->server, 0, "127.0.0.1", nomem_listening, n), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    close(n->client_fd);
    assert_all_released(loop, fds_before);
}

/* A high-water mark other than the default lives in the socket's on-demand part, so an
 * accepted socket with the server's mark needs a second allocation: without it the
 * connection is dropped as when the socket itself cannot be made, an accept error. */
Test(failures, a_connection_without_memory_for_the_servers_high_water_mark_is_an_accept_error)
{
    int fds_before = open_fd_count();
    struct nomem n = {.client_fd = -1};
    accept_with_one_allocation(4096, &n, fds_before);
    cr_assert_eq(n.errors, 1);
    cr_assert_eq(n.code, -ENOMEM);
    cr_assert_str_eq(n.syscall, "accept");
    cr_assert_eq(n.connections, 0);
}

/* The same with the default mark (given explicitly): the socket alone is enough. */
Test(failures, a_connection_with_the_default_high_water_mark_needs_only_its_socket)
{
    int fds_before = open_fd_count();
    struct nomem n = {.client_fd = -1};
    accept_with_one_allocation(16 * 1024, &n, fds_before);
    cr_assert_eq(n.errors, 0);
    cr_assert_eq(n.connections, 1);
}

/* ---- 3. an interest change the backend rejects fails its own object only ---- */

struct watched {
    eddy_socket *victim, *healthy;
    int victim_errors, victim_closes, healthy_data;
    bool victim_had_error;
    int code;
    char syscall[32];
};

static void victim_error(const eddy_event *ev, void *ctx)
{
    struct watched *w = ctx;
    w->victim_errors++;
    w->code = ev->u.error.code;
    snprintf(w->syscall, sizeof w->syscall, "%s", ev->u.error.syscall);
}

static void victim_close(const eddy_event *ev, void *ctx)
{
    struct watched *w = ctx;
    w->victim_closes++;
    w->victim_had_error = ev->u.had_error;
}

static void healthy_data(const eddy_event *ev, void *ctx)
{
    struct watched *w = ctx;
    cr_assert_eq(ev->u.data.len, 4);
    w->healthy_data++;
    eddy_socket_destroy(w->healthy);
}

/* A wrapped socketpair end whose events are recorded. */
static eddy_socket *wrap(eddy_loop *loop, int fd)
{
    eddy_socket_options o = {.fd = fd};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    return s;
}

static void watch(struct watched *w)
{
    eddy_on(eddy_emitter_of(w->victim), "error", victim_error, w);
    eddy_on(eddy_emitter_of(w->victim), "close", victim_close, w);
    eddy_on(eddy_emitter_of(w->healthy), "data", healthy_data, w);
}

/* The name a backend's rejected change carries in 'error'. */
static const char *backend_update_call(eddy_loop *loop)
{
    const char *b = eddy_loop_backend(loop);
    return strcmp(b, "epoll") == 0 ? "epoll_ctl" : strcmp(b, "kqueue") == 0 ? "kevent" : b;
}

Test(failures, a_descriptor_closed_behind_eddys_back_fails_its_socket_and_the_loop_goes_on)
{
    int fds_before = open_fd_count();
    int v[2], h[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, h), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, v), 0);
    eddy_loop *loop = eddy_loop_new();
    struct watched w = {0};
    w.healthy = wrap(loop, h[0]);
    w.victim = wrap(loop, v[0]);
    watch(&w);
    close(v[0]); /* behind eddy's back, before the loop registered it */
    cr_assert_eq(write(h[1], "ping", 4), 4);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(w.victim_errors, 1);
    cr_assert_eq(w.code, -EBADF, "%s", eddy_err_name(w.code));
    /* epoll refuses the registration; poll reports POLLNVAL and the read fails */
    const char *alts[] = {backend_update_call(loop), "read", NULL};
    cr_assert(str_is_one_of(w.syscall, alts), "syscall %s", w.syscall);
    cr_assert_eq(w.victim_closes, 1);
    cr_assert(w.victim_had_error);
    cr_assert_eq(w.healthy_data, 1, "the other socket of the loop got no I/O");
    /* and the loop still works afterwards */
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 0);
    close(v[1]);
    close(h[1]);
    assert_all_released(loop, fds_before + 0);
}

Test(failures, a_change_the_backend_rejects_fails_that_socket_alone)
{
    int fds_before = open_fd_count();
    int v[2], h[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, h), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, v), 0);
    eddy_loop *loop = eddy_loop_new();
    struct watched w = {0};
    w.healthy = wrap(loop, h[0]);
    w.victim = wrap(loop, v[0]);
    watch(&w);
    eddy_test_fail_fd = v[0];
    eddy_test_fail_err = -ENOSPC;
    cr_assert_eq(write(h[1], "ping", 4), 4);
    cr_assert(loop_ends_by_itself(loop, 5000));
    eddy_test_fail_fd = -1;
    cr_assert_eq(eddy_test_failures, 1, "a rejected change must not be retried");
    cr_assert_eq(w.victim_errors, 1);
    cr_assert_eq(w.code, -ENOSPC);
    cr_assert_str_eq(w.syscall, backend_update_call(loop));
    cr_assert_eq(w.victim_closes, 1);
    cr_assert(w.victim_had_error);
    cr_assert_eq(w.healthy_data, 1);
    close(v[1]);
    close(h[1]);
    assert_all_released(loop, fds_before);
}

Test(failures, a_listening_socket_the_backend_rejects_gives_error_then_close)
{
    int fds_before = open_fd_count();
    int port;
    int lfd = raw_tcp_listener(&port);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    net_log log = {0};
    net_record(&log, s, "s", "listening close error");
    eddy_test_fail_fd = lfd;
    eddy_test_fail_err = -ENOMEM;
    cr_assert_eq(eddy_server_listen_fd(s, lfd, NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 5000), "%s", log.text);
    eddy_test_fail_fd = -1;
    char want[128];
    snprintf(want, sizeof want, "s:listening s:error(ENOMEM,%s) s:close(false)",
             backend_update_call(loop));
    cr_assert_str_eq(log.text, want);
    assert_all_released(loop, fds_before);
}

/* ---- 4. calls that used to return nothing ---- */

Test(failures, set_timeout_without_memory_returns_enomem_and_sets_nothing)
{
    int fds_before = open_fd_count();
    use_failing_allocator();
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = wrap(loop, p[0]);
    int timeouts = 0;
    fail_allocations = true; /* the idle state cannot be allocated */
    cr_assert_eq(eddy_socket_set_timeout(s, 10, count_event, &timeouts), -ENOMEM);
    fail_allocations = false;
    cr_assert_eq(eddy_listener_count(eddy_emitter_of(s), "timeout"), 0);
    /* Allocated now, then off; then the listener cannot be added. */
    cr_assert_eq(eddy_socket_set_timeout(s, 10, NULL, NULL), 0);
    cr_assert_eq(eddy_socket_set_timeout(s, 0, NULL, NULL), 0);
    fail_allocations = true;
    cr_assert_eq(eddy_socket_set_timeout(s, 10, count_event, &timeouts), -ENOMEM);
    fail_allocations = false;
    cr_assert_eq(eddy_listener_count(eddy_emitter_of(s), "timeout"), 0);
    /* Nothing was left armed: no 'timeout' comes. */
    int timeouts_any = 0;
    eddy_on(eddy_emitter_of(s), "timeout", count_event, &timeouts_any);
    eddy_set_timeout(loop, 60, (void (*)(void *))eddy_socket_destroy, s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(timeouts_any, 0);
    cr_assert_eq(eddy_socket_set_timeout(NULL, 10, NULL, NULL), -EINVAL);
    close(p[1]);
    assert_all_released(loop, fds_before);
}

Test(failures, listen_path_without_memory_for_the_path_returns_enomem_and_leaves_no_file)
{
    int fds_before = open_fd_count();
    use_failing_allocator();
    char dir[] = "/tmp/eddy-lp-XXXXXX", path[128];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.sock", dir);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    fail_allocations = true;
    int rc = eddy_server_listen_path(s, path, NULL, NULL);
    fail_allocations = false;
    cr_assert_eq(rc, -ENOMEM);
    struct stat st;
    cr_assert_neq(stat(path, &st), 0, "a socket file was left behind");
    /* The server still works: listen, then close removes the file. */
    cr_assert_eq(eddy_server_listen_path(s, path, NULL, NULL), 0);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(eddy_server_close(s, NULL, NULL), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_neq(stat(path, &st), 0);
    rmdir(dir);
    assert_all_released(loop, fds_before);
}

/* ---- 5. every descriptor of a message arrives ---- */

struct fds_seen {
    int count;
    bool all_open;
};

static void on_fd(const eddy_event *ev, void *ctx)
{
    struct fds_seen *f = ctx;
    f->count++;
    if (fcntl(ev->u.fd, F_GETFD) < 0)
        f->all_open = false;
    close(ev->u.fd);
}

static void end_after_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_socket_destroy(ctx);
}

Test(failures, sixteen_descriptors_in_one_message_all_arrive)
{
    enum { N = 16 };
    int fds_before = open_fd_count();
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
    int sent[N];
    for (int i = 0; i < N; i++)
        cr_assert_geq(sent[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof sent)];
    } control;
    memset(&control, 0, sizeof control);
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.space,
                         .msg_controllen = sizeof control.space};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof sent);
    memcpy(CMSG_DATA(c), sent, sizeof sent);
    cr_assert_eq(sendmsg(p[1], &msg, 0), 1);
    for (int i = 0; i < N; i++)
        close(sent[i]);

    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = wrap(loop, p[0]);
    struct fds_seen f = {.all_open = true};
    eddy_on(eddy_emitter_of(s), "fd", on_fd, &f);
    eddy_on(eddy_emitter_of(s), "data", end_after_data, s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(f.count, N);
    cr_assert(f.all_open);
    close(p[1]);
    assert_all_released(loop, fds_before);
}

/* ---- 6. at the descriptor limit, pending clients are served or closed ----
 * The server starts listening with no descriptor to spare (no reserve). Two descriptors
 * free up: the first accept serves a client, and the reserve must be taken with the
 * other, or the third client waits forever once accept fails with EMFILE. */

enum { LIMIT_CLIENTS = 3 };

struct limit {
    eddy_loop *loop;
    eddy_server *server;
    int clients[LIMIT_CLIENTS];
    int outcome[LIMIT_CLIENTS]; /* 0 waiting, 1 echoed, 2 closed */
    eddy_timer *poller;
};

static void limit_echo(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void limit_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "data", limit_echo, NULL);
}

static void limit_poll(void *arg)
{
    struct limit *l = arg;
    int decided = 0;
    for (int i = 0; i < LIMIT_CLIENTS; i++) {
        if (l->outcome[i] == 0) {
            char c;
            ssize_t n = recv(l->clients[i], &c, 1, MSG_DONTWAIT);
            if (n == 1)
                l->outcome[i] = 1;
            else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                l->outcome[i] = 2;
        }
        decided += l->outcome[i] != 0;
    }
    if (decided == LIMIT_CLIENTS) {
        eddy_clear_timer(l->poller);
        for (int i = 0; i < LIMIT_CLIENTS; i++)
            shutdown(l->clients[i], SHUT_WR); /* the served connections end */
        eddy_server_close(l->server, NULL, NULL);
    }
}

Test(failures, a_server_that_started_out_of_descriptors_serves_or_closes_every_client)
{
    int fds_before = open_fd_count();
    struct limit l = {0};
    for (int i = 0; i < LIMIT_CLIENTS; i++)
        l.clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* made before the limit */
    l.loop = eddy_loop_new();
    l.server = eddy_create_server(l.loop, NULL, limit_connection, NULL);

    struct rlimit old;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    struct rlimit low = old;
    low.rlim_cur = (rlim_t)open_fd_count() + 32;
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
        cr_skip_test("cannot lower RLIMIT_NOFILE");
    int fillers[64], nfill = 0;
    while (nfill < 64 && (fillers[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        nfill++;
    if (nfill == 64 || errno != EMFILE) {
        setrlimit(RLIMIT_NOFILE, &old);
        cr_skip_test("the descriptor limit could not be reached (valgrind?)");
    }
    close(fillers[--nfill]); /* exactly one: the listening socket, no reserve */
    cr_assert_eq(eddy_server_listen(l.server, 0, "127.0.0.1", NULL, NULL), 0);
    int port = server_port(l.server);
    cr_assert_gt(port, 0);
    close(fillers[--nfill]);
    close(fillers[--nfill]);

    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < LIMIT_CLIENTS; i++) {
        cr_assert_eq(connect(l.clients[i], (struct sockaddr *)&a, sizeof a), 0);
        cr_assert_eq(write(l.clients[i], "x", 1), 1);
    }
    l.poller = eddy_set_interval(l.loop, 5, limit_poll, &l);
    bool ended = run_loop_for(l.loop, 5000);
    while (nfill > 0)
        close(fillers[--nfill]);
    setrlimit(RLIMIT_NOFILE, &old);
    for (int i = 0; i < LIMIT_CLIENTS; i++)
        cr_assert_neq(l.outcome[i], 0, "client %d neither served nor closed", i);
    cr_assert_eq(l.outcome[0], 1, "the first client had a descriptor to be served with");
    cr_assert(ended);
    for (int i = 0; i < LIMIT_CLIENTS; i++)
        close(l.clients[i]);
    cr_assert(loop_ends_by_itself(l.loop, 5000));
    assert_all_released(l.loop, fds_before);
}

/* ---- 7. extreme arguments ---- */

Test(failures, error_names_of_int_min_are_unknown)
{
    cr_assert_str_eq(eddy_err_name(INT_MIN), "UNKNOWN");
    cr_assert_str_eq(eddy_strerror(INT_MIN), "unknown error");
    cr_assert_str_eq(eddy_err_name(INT_MAX), "UNKNOWN");
}

static void count_write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    (void)status;
    (*(int *)ctx)++;
}

Test(failures, a_write_of_a_length_near_size_max_is_refused)
{
    int fds_before = open_fd_count();
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = wrap(loop, p[0]);
    char byte = 'x';
    int cbs = 0;
    cr_assert_not(eddy_socket_write(s, &byte, SIZE_MAX, count_write_cb, &cbs));
    cr_assert_not(eddy_socket_write(s, &byte, SIZE_MAX - 100, count_write_cb, &cbs));
    cr_assert_eq(eddy_socket_end(s, &byte, SIZE_MAX), -EINVAL);
    cr_assert_eq(eddy_socket_buffer_size(s), 0);
    /* the socket is unharmed */
    cr_assert(eddy_socket_write(s, "ok", 2, count_write_cb, &cbs));
    eddy_socket_end(s, NULL, 0);
    shutdown(p[1], SHUT_WR); /* the peer ends too: the socket closes */
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(cbs, 1);
    char buf[4];
    cr_assert_eq(read(p[1], buf, sizeof buf), 2);
    close(p[1]);
    assert_all_released(loop, fds_before);
}
