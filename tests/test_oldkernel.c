/* eddy on a kernel without the calls of Linux 2.6.27/2.6.28 (accept4, the SOCK_ flags,
 * epoll_create1, eventfd2): each test puts tests/support/oldkernel_filter.c's seccomp
 * filter on its own process (Criterion runs each test in one), checks that the call is
 * really refused, then shows that the library takes its fallback: the descriptor it made
 * anyway is non-blocking and close-on-exec, and it works. The error paths of accept (an
 * error that is not transient, one that would spin) use the filter too. The whole suite
 * under the filter: tests/meson.build's oldkernel_* tests. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "loop/backend_choice.h"
#include "loop/loop_internal.h"
#include "net_helpers.h"
#include "oldkernel_filter.h"

static void old_kernel(unsigned what)
{
    int err = oldkernel_install(what);
    cr_assert_eq(err, 0, "seccomp filter not installed: %s", strerror(-err));
}

static void assert_nonblock_cloexec(int fd, const char *what)
{
    cr_assert_geq(fd, 0, "%s: no descriptor", what);
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    cr_assert(fl >= 0 && (fl & O_NONBLOCK), "%s (fd %d) is blocking", what, fd);
    cr_assert(fdfl >= 0 && (fdfl & FD_CLOEXEC), "%s (fd %d) is not close-on-exec", what, fd);
}

/* ---- accept ---- */

struct accepted {
    eddy_loop *loop;
    eddy_server *server;
    int connections;
    int flags_ok; /* accepted fds that were non-blocking and close-on-exec */
    int errors;
};

static void on_accepted(const eddy_event *ev, void *ctx)
{
    struct accepted *a = ctx;
    int fd = eddy_socket_fd(ev->u.socket);
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & O_NONBLOCK) && fdfl >= 0 && (fdfl & FD_CLOEXEC))
        a->flags_ok++;
    eddy_socket_destroy(ev->u.socket);
    if (++a->connections == 2)
        eddy_server_close(a->server, NULL, NULL);
}

static void on_error_count(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct accepted *)ctx)->errors++;
}

/* A blocking client connected to the server's port, outside the loop. */
static int plain_client(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0, "connect: %s",
                 strerror(errno));
    return fd;
}

/* A server listening on 127.0.0.1, with its port once 'listening' came. */
static int listening_server(struct accepted *a, eddy_listener on_connection)
{
    a->loop = eddy_loop_new();
    cr_assert_not_null(a->loop);
    a->server = eddy_create_server(a->loop, NULL, on_connection, a);
    cr_assert_not_null(a->server);
    eddy_on(eddy_emitter_of(a->server), "error", on_error_count, a);
    cr_assert_eq(eddy_server_listen(a->server, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_loop_run(a->loop, EDDY_RUN_NOWAIT); /* 'listening' */
    int port = server_port(a->server);
    cr_assert_gt(port, 0);
    return port;
}

static void accept_two_connections(void)
{
    struct accepted a = {0};
    int port = listening_server(&a, on_accepted);
    int c1 = plain_client(port), c2 = plain_client(port);
    cr_assert(loop_ends_by_itself(a.loop, 5000));
    cr_assert_eq(a.errors, 0, "the server reported an error");
    cr_assert_eq(a.connections, 2);
    cr_assert_eq(a.flags_ok, 2, "an accepted descriptor was blocking or inheritable");
    close(c1);
    close(c2);
    cr_assert_eq(eddy_loop_free(a.loop), 0);
}

Test(oldkernel, accept_without_accept4_gives_nonblocking_cloexec_connections)
{
    old_kernel(OLDKERNEL_NO_ACCEPT4);
    cr_assert(accept4(-1, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == ENOSYS,
              "the filter lets accept4 through");
    accept_two_connections();
}

Test(oldkernel, accept_when_accept4_refuses_its_flags_gives_nonblocking_cloexec_connections)
{
    old_kernel(OLDKERNEL_ACCEPT4_EINVAL);
    accept_two_connections();
}

/* Once a server learnt that accept4 is missing, it does not try it again. A second
 * filter, installed after the first connection, makes accept4 fail with EPERM, which has
 * no fallback (a server 'error'): a server that forgot would report it and lose the
 * second connection. (Of two seccomp filters that both return an errno, the newer one's
 * errno is the result.) */
static void on_accepted_then_refuse_accept4(const eddy_event *ev, void *ctx)
{
    struct accepted *a = ctx;
    on_accepted(ev, ctx);
    if (a->connections == 1)
        old_kernel(OLDKERNEL_ACCEPT4_EPERM);
}

Test(oldkernel, a_server_remembers_that_accept4_is_missing)
{
    old_kernel(OLDKERNEL_NO_ACCEPT4);
    struct accepted a = {0};
    int port = listening_server(&a, on_accepted_then_refuse_accept4);
    int c1 = plain_client(port);
    for (int i = 0; i < 100 && a.connections == 0; i++)
        eddy_loop_run(a.loop, EDDY_RUN_ONCE);
    cr_assert_eq(a.connections, 1);
    cr_assert(accept4(-1, NULL, NULL, 0) < 0 && errno == EPERM, "the second filter is on");
    int c2 = plain_client(port);
    cr_assert(loop_ends_by_itself(a.loop, 5000));
    cr_assert_eq(a.errors, 0, "accept4 was tried again (EPERM)");
    cr_assert_eq(a.connections, 2);
    cr_assert_eq(a.flags_ok, 2);
    close(c1);
    close(c2);
    cr_assert_eq(eddy_loop_free(a.loop), 0);
}

static void on_failed(const eddy_event *ev, void *ctx)
{
    struct accepted *a = ctx;
    cr_assert_eq(ev->u.error.code, -ENOSYS);
    cr_assert_str_eq(ev->u.error.syscall, "accept");
    a->errors++;
}

static void never_connection(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct accepted *)ctx)->connections++;
}

Test(oldkernel, accept_error_that_is_not_transient_is_a_server_error_not_a_busy_loop)
{
    old_kernel(OLDKERNEL_NO_ACCEPT);
    struct accepted a = {0};
    a.loop = eddy_loop_new();
    cr_assert_not_null(a.loop);
    a.server = eddy_create_server(a.loop, NULL, never_connection, &a);
    eddy_on(eddy_emitter_of(a.server), "error", on_failed, &a);
    int closes = 0;
    eddy_on(eddy_emitter_of(a.server), "close", count_listener, &closes);
    cr_assert_eq(eddy_server_listen(a.server, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_loop_run(a.loop, EDDY_RUN_NOWAIT);
    int c = plain_client(server_port(a.server));
    double cpu0 = cpu_ms();
    /* 'error' then 'close': nothing is left alive, so the loop ends */
    cr_assert(loop_ends_by_itself(a.loop, 5000));
    cr_assert_lt(cpu_ms() - cpu0, 1000.0);
    cr_assert_eq(a.errors, 1);
    cr_assert_eq(closes, 1);
    cr_assert_eq(a.connections, 0);
    close(c);
    cr_assert_eq(eddy_loop_free(a.loop), 0);
}

Test(oldkernel, accept_out_of_kernel_memory_retries_later_without_spinning)
{
    old_kernel(OLDKERNEL_ACCEPT_ENOMEM);
    struct accepted a = {0};
    int port = listening_server(&a, never_connection);
    int c = plain_client(port); /* pending: every accept says ENOMEM */
    double cpu0 = cpu_ms();
    uint64_t t0 = mono_ns();
    cr_assert_not(run_loop_for(a.loop, 600), "the loop ended: the server gave up");
    double spent = cpu_ms() - cpu0, wall = (double)(mono_ns() - t0) / 1e6;
    /* a spinning loop burns the whole 600 ms; retrying every 100 ms costs next to nothing */
    cr_assert_lt(spent, wall / 4, "%.0f ms of CPU in %.0f ms: the accept loop spins", spent, wall);
    cr_assert_eq(a.errors, 0, "ENOMEM is transient: no 'error'");
    cr_assert_eq(a.connections, 0);
    close(c);
    eddy_server_close(a.server, NULL, NULL);
    cr_assert(loop_ends_by_itself(a.loop, 5000));
    cr_assert_eq(eddy_loop_free(a.loop), 0);
}

/* ---- socket ---- */

static void on_client_connect(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    assert_nonblock_cloexec(eddy_socket_fd(ev->target), "the client's socket");
    p->user = ev->target; /* connected */
    eddy_socket_end(ev->target, NULL, 0);
}

static void watch_client(net_pair *p)
{
    eddy_once(eddy_emitter_of(p->client), "connect", on_client_connect, p);
}

static void conn_flags(net_pair *p, eddy_socket *conn)
{
    (void)p;
    assert_nonblock_cloexec(eddy_socket_fd(conn), "the accepted socket");
    eddy_socket_end(conn, NULL, 0);
}

Test(oldkernel, sockets_are_made_without_sock_flags_and_set_up_by_fcntl)
{
    old_kernel(OLDKERNEL_NO_SOCK_FLAGS);
    cr_assert(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) < 0 && errno == EINVAL,
              "the filter lets SOCK_NONBLOCK through");
    int sv[2];
    cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 && errno == EINVAL,
              "the filter lets SOCK_CLOEXEC through");
    net_pair p = {0};
    p.client_ready = watch_client;
    p.conn_ready = conn_flags;
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 5000);
    cr_assert_not_null(p.user, "the client never connected: %s", p.clog.text);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end conn:close(false) "
                                  "server:close");
    assert_all_released(p.loop, p.fds_before);
}

Test(oldkernel, unix_sockets_are_made_without_sock_flags)
{
    old_kernel(OLDKERNEL_NO_SOCK_FLAGS);
    char path[64];
    snprintf(path, sizeof path, "/tmp/eddy-oldkernel-%d.sock", (int)getpid());
    unlink(path);
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
    net_pair p = {.loop = loop};
    p.conn_ready = conn_flags;
    p.fds_before = open_fd_count();
    p.server = eddy_create_server(loop, NULL, net_pair_on_connection, &p);
    net_record(&p.slog, p.server, "server", "listening close error");
    cr_assert_eq(eddy_server_listen_path(p.server, path, NULL, NULL), 0);
    p.client = eddy_create_connection_path(loop, path, NULL, NULL);
    cr_assert_not_null(p.client);
    watch_client(&p);
    assert_pair_ends(&p, 5000);
    cr_assert_not_null(p.user, "the client never connected");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end conn:close(false) "
                                  "server:close");
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- the loop's own descriptors ---- */

/* The descriptors of this process whose /proc/self/fd link starts with prefix. */
static int fds_named(const char *prefix, int *out, int cap)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[128];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strncmp(target, prefix, strlen(prefix)) == 0 && n < cap)
            out[n++] = atoi(e->d_name);
    }
    closedir(d);
    return n;
}

#if EDDY__BACKEND == EDDY__BACKEND_EPOLL_ID
static void count_call(void *arg)
{
    (*(int *)arg)++;
}

Test(oldkernel, loop_without_epoll_create1_uses_epoll_create_and_cloexec)
{
    old_kernel(OLDKERNEL_NO_EPOLL_CREATE1);
    cr_assert(epoll_create1(EPOLL_CLOEXEC) < 0 && errno == ENOSYS,
              "the filter lets epoll_create1 through");
    int before[8], after[8];
    int n0 = fds_named("anon_inode:[eventpoll]", before, 8);
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop, "eddy_loop_new failed without epoll_create1");
    int n1 = fds_named("anon_inode:[eventpoll]", after, 8);
    cr_assert_eq(n1, n0 + 1);
    int epfd = after[n1 - 1];
    for (int i = 0; i < n1; i++) {
        bool old = false;
        for (int j = 0; j < n0; j++)
            old |= before[j] == after[i];
        if (!old)
            epfd = after[i];
    }
    int fdfl = fcntl(epfd, F_GETFD);
    cr_assert(fdfl >= 0 && (fdfl & FD_CLOEXEC), "the epoll fd is not close-on-exec");
    int ran = 0;
    cr_assert_not_null(eddy_set_timeout(loop, 10, count_call, &ran));
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(ran, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
#endif

struct waker {
    eddy_loop *loop;
    int ran;
};

static void stop_loop(void *arg)
{
    struct waker *w = arg;
    w->ran++;
    eddy_loop_stop(w->loop);
}

static void *post_later(void *arg)
{
    struct waker *w = arg;
    usleep(100 * 1000); /* the loop is waiting by now */
    cr_assert_eq(eddy_loop_post(w->loop, stop_loop, w), 0);
    return NULL;
}

static void keep_alive(void *arg)
{
    (void)arg;
}

Test(oldkernel, post_without_eventfd_wakes_the_loop_through_a_pipe)
{
    old_kernel(OLDKERNEL_NO_EVENTFD);
    cr_assert(eventfd(0, EFD_CLOEXEC) < 0 && errno == ENOSYS, "the filter lets eventfd through");
    struct waker w = {.loop = eddy_loop_new()};
    cr_assert_not_null(w.loop);
    /* waits in the backend for up to 10 s unless the post wakes it */
    eddy_timer *t = eddy_set_timeout(w.loop, 10000, keep_alive, NULL);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, post_later, &w), 0);
    uint64_t t0 = mono_ns();
    eddy_loop_run(w.loop, EDDY_RUN_DEFAULT);
    uint64_t ms = (mono_ns() - t0) / 1000000u;
    pthread_join(th, NULL);
    cr_assert_eq(w.ran, 1);
    cr_assert_lt(ms, 5000, "the post did not wake the loop (%llu ms)", (unsigned long long)ms);
    struct stat st;
    cr_assert_neq(w.loop->post_fd_read, w.loop->post_fd_write, "not a pipe's two ends");
    cr_assert(fstat(w.loop->post_fd_read, &st) == 0 && S_ISFIFO(st.st_mode));
    assert_nonblock_cloexec(w.loop->post_fd_read, "the post pipe's read end");
    assert_nonblock_cloexec(w.loop->post_fd_write, "the post pipe's write end");
    eddy_clear_timer(t);
    cr_assert_eq(eddy_loop_free(w.loop), 0);
}

static void on_signal(int signum, void *ctx)
{
    (void)signum;
    struct waker *w = ctx;
    w->ran++;
    eddy_loop_stop(w->loop);
}

static void *signal_later(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    kill(getpid(), SIGUSR2);
    return NULL;
}

Test(oldkernel, signal_watcher_without_eventfd_wakes_the_loop_through_a_pipe)
{
    old_kernel(OLDKERNEL_NO_EVENTFD);
    struct waker w = {.loop = eddy_loop_new()};
    cr_assert_not_null(w.loop);
    int pipes_before[16], pipes_after[16];
    int n0 = fds_named("pipe:", pipes_before, 16);
    int err = 0;
    eddy_signal *sig = eddy_signal_start_ex(w.loop, SIGUSR2, on_signal, &w, &err);
    cr_assert_not_null(sig, "eddy_signal_start_ex without eventfd: %s", strerror(-err));
    cr_assert_eq(fds_named("pipe:", pipes_after, 16), n0 + 2, "no self-pipe was made");
    eddy_timer *t = eddy_set_timeout(w.loop, 10000, keep_alive, NULL);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, signal_later, NULL), 0);
    uint64_t t0 = mono_ns();
    eddy_loop_run(w.loop, EDDY_RUN_DEFAULT);
    uint64_t ms = (mono_ns() - t0) / 1000000u;
    pthread_join(th, NULL);
    cr_assert_eq(w.ran, 1);
    cr_assert_lt(ms, 5000, "the signal did not wake the loop");
    eddy_clear_timer(t);
    eddy_signal_stop(sig);
    eddy_loop_run(w.loop, EDDY_RUN_NOWAIT);
    cr_assert_eq(eddy_loop_free(w.loop), 0);
}
