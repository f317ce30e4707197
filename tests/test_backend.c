/* The backend contract, on whichever backend the build chose (epoll, kqueue, poll): what a
 * watcher sees of the kernel's traps. The watchers are raw eddy__io, as servers and sockets
 * use them. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "loop/loop_internal.h"

struct watch {
    eddy__io io; /* first: the callbacks cast back */
    int calls;
    unsigned revents;
    int err;
    char text[64];
    size_t len;
    bool eof;
    int read_error;
    int fd; /* the descriptor, still to be closed after the watcher forgot it */
};

static void noop(void *arg)
{
    (void)arg;
}

static eddy_timer *guard(eddy_loop *loop)
{
    return eddy_set_interval(loop, 50, noop, NULL);
}

/* A connected pair of TCP sockets over loopback: c the client, *s the accepted one. */
static int tcp_pair(int *s)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(l, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(l, 1), 0);
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &len), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    *s = accept(l, NULL, NULL);
    cr_assert_geq(*s, 0);
    close(l);
    return c;
}

static void set_nonblocking(int fd)
{
    cr_assert_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

#ifndef EDDY_BACKEND_POLL
static void on_event_close(eddy__io *io, unsigned revents)
{
    struct watch *w = (struct watch *)io;
    w->calls++;
    w->revents |= revents;
    if (revents & EDDY__IO_FAILED)
        w->err = eddy__io_error(revents);
    eddy__io_close(io);
}

/* poll(2) takes any number and reports a closed one as POLLNVAL (readiness), so only the
 * backends that register with the kernel can reject a change. */
Test(backend, a_change_the_kernel_rejects_fails_that_watcher_alone)
{
    eddy_loop *loop = eddy_loop_new();
    int good[2];
    cr_assert_eq(pipe(good), 0);
    cr_assert_eq(write(good[1], "x", 1), 1);
    int bad = fcntl(good[0], F_DUPFD, 500);
    cr_assert_geq(bad, 0);
    close(bad); /* a number that nothing has open: the kernel says EBADF */
    struct watch a = {0}, b = {0};
    eddy__io_init(&a.io, loop, bad, on_event_close);
    eddy__io_init(&b.io, loop, good[0], on_event_close);
    eddy__io_start(&a.io, EDDY__READABLE);
    eddy__io_start(&b.io, EDDY__READABLE);
    eddy_timer *t = guard(loop);
    bool done = false;
    for (int i = 0; i < 10 && !done; i++) {
        eddy_loop_run(loop, EDDY_RUN_ONCE);
        done = a.calls && b.calls;
    }
    eddy_clear_timer(t);
    cr_assert_eq(a.calls, 1);
    cr_assert_eq(a.revents, eddy__io_failure(-EBADF), "revents %#x", a.revents);
    cr_assert_eq(a.err, -EBADF);
#if defined(EDDY_BACKEND_KQUEUE)
    cr_assert_str_eq(eddy__io_failed_call(), "kevent");
#else
    cr_assert_str_eq(eddy__io_failed_call(), "epoll_ctl");
#endif
    cr_assert_eq(b.calls, 1, "the other watcher goes on");
    cr_assert_eq(b.revents, EDDY__READABLE);
    close(good[0]);
    close(good[1]);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
#endif

static void on_connect_done(eddy__io *io, unsigned revents)
{
    struct watch *w = (struct watch *)io;
    w->calls++;
    w->revents |= revents;
    int err = 0;
    socklen_t len = sizeof err;
    cr_assert_eq(getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    w->err = err;
    eddy__io_close(io);
}

Test(backend, a_connect_that_fails_is_writable_and_so_error_says_why)
{
    /* a port where nobody listens: bound, then closed */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t alen = sizeof a;
    cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    close(l);

    eddy_loop *loop = eddy_loop_new();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    set_nonblocking(fd);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc < 0 && errno == ECONNREFUSED) {
        /* refused at once: nothing for the backend to report */
        close(fd);
        eddy_loop_free(loop);
        return;
    }
    cr_assert(rc < 0 && errno == EINPROGRESS);
    struct watch w = {0};
    eddy__io_init(&w.io, loop, fd, on_connect_done);
    eddy__io_start(&w.io, EDDY__WRITABLE);
    eddy_timer *t = guard(loop);
    for (int i = 0; i < 40 && !w.calls; i++)
        eddy_loop_run(loop, EDDY_RUN_ONCE);
    eddy_clear_timer(t);
    cr_assert_eq(w.calls, 1);
    cr_assert_eq(w.revents, EDDY__WRITABLE, "revents %#x", w.revents);
    cr_assert_eq(w.err, ECONNREFUSED, "SO_ERROR %d", w.err);
    close(fd);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void on_readable_drain(eddy__io *io, unsigned revents)
{
    struct watch *w = (struct watch *)io;
    w->calls++;
    w->revents |= revents;
    for (;;) {
        ssize_t n = read(io->fd, w->text + w->len, sizeof w->text - 1 - w->len);
        if (n > 0) {
            w->len += (size_t)n;
            continue;
        }
        if (n == 0)
            w->eof = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            w->read_error = -errno;
        break;
    }
    if (w->eof || w->read_error)
        eddy__io_close(io);
}

Test(backend, the_peers_fin_with_data_unread_is_readable_and_the_data_comes_first)
{
    eddy_loop *loop = eddy_loop_new();
    int s;
    int c = tcp_pair(&s);
    set_nonblocking(s);
    /* data and FIN are both there before the first wait */
    cr_assert_eq(write(c, "hello", 5), 5);
    cr_assert_eq(shutdown(c, SHUT_WR), 0);
    usleep(10000);
    struct watch w = {0};
    eddy__io_init(&w.io, loop, s, on_readable_drain);
    eddy__io_start(&w.io, EDDY__READABLE);
    eddy_timer *t = guard(loop);
    for (int i = 0; i < 40 && !w.eof && !w.read_error; i++)
        eddy_loop_run(loop, EDDY_RUN_ONCE);
    eddy_clear_timer(t);
    cr_assert_eq(w.revents, EDDY__READABLE, "a FIN is no error: revents %#x", w.revents);
    cr_assert_eq(w.read_error, 0);
    cr_assert_eq(w.len, 5);
    cr_assert_eq(memcmp(w.text, "hello", 5), 0);
    cr_assert(w.eof);
    close(s);
    close(c);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(backend, a_reset_reaches_the_reader_as_its_error)
{
    eddy_loop *loop = eddy_loop_new();
    int s;
    int c = tcp_pair(&s);
    set_nonblocking(s);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    cr_assert_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(c); /* RST */
    usleep(10000);
    struct watch w = {0};
    eddy__io_init(&w.io, loop, s, on_readable_drain);
    eddy__io_start(&w.io, EDDY__READABLE);
    eddy_timer *t = guard(loop);
    for (int i = 0; i < 40 && !w.eof && !w.read_error; i++)
        eddy_loop_run(loop, EDDY_RUN_ONCE);
    eddy_clear_timer(t);
    cr_assert(w.revents & EDDY__READABLE);
    cr_assert_not(w.revents & EDDY__IO_FAILED);
    cr_assert_eq(w.read_error, -ECONNRESET, "read: %d", w.read_error);
    close(s);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- EINTR ---- */

static void on_usr1(int sig)
{
    (void)sig;
}

static void *send_usr1_later(void *arg)
{
    usleep(50000);
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
    return NULL;
}

static void count(void *arg)
{
    ++*(int *)arg;
}

Test(backend, a_signal_during_the_wait_is_an_empty_turn_not_an_error)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the wait fails with EINTR */
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_set_timeout(loop, 200, count, &fired);
    pthread_t self = pthread_self(), th;
    cr_assert_eq(pthread_create(&th, NULL, send_usr1_later, &self), 0);
    uint64_t t0 = eddy_loop_now(loop);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    pthread_join(th, NULL);
    cr_assert_eq(fired, 1);
    cr_assert_geq(eddy_loop_now(loop) - t0, 200);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- many changes in one iteration ---- */

enum { MANY = 400 };

Test(backend, hundreds_of_watchers_started_in_one_iteration_all_fire_once)
{
    eddy_loop *loop = eddy_loop_new();
    static struct watch w[MANY];
    memset(w, 0, sizeof w);
    for (int i = 0; i < MANY; i++) {
        int p[2];
        cr_assert_eq(pipe(p), 0);
        cr_assert_eq(write(p[1], "x", 1), 1);
        close(p[1]); /* readable: a byte, then the end */
        set_nonblocking(p[0]);
        w[i].fd = p[0];
        eddy__io_init(&w[i].io, loop, p[0], on_readable_drain);
        eddy__io_start(&w[i].io, EDDY__READABLE);
    }
    eddy_timer *t = guard(loop);
    int done = 0;
    for (int turn = 0; turn < 20 && done < MANY; turn++) {
        eddy_loop_run(loop, EDDY_RUN_ONCE);
        done = 0;
        for (int i = 0; i < MANY; i++)
            done += w[i].eof;
    }
    eddy_clear_timer(t);
    for (int i = 0; i < MANY; i++) {
        cr_assert_eq(w[i].calls, 1, "watcher %d: %d calls", i, w[i].calls);
        cr_assert_eq(w[i].len, 1);
        cr_assert(w[i].eof);
    }
    for (int i = 0; i < MANY; i++)
        close(w[i].fd);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

#ifdef EDDY_BACKEND_POLL
#include "loop/backend.h"

static void on_any(eddy__io *io, unsigned revents)
{
    (void)io;
    (void)revents;
}

/* The poll backend keeps each watcher's index in its array in a 22-bit field of the
 * watcher (eddy__io is embedded in every socket, and kept small): the watcher beyond
 * EDDY__IO_SLOT_MAX + 1 is refused with -EMFILE, the others stay watched, and a freed
 * slot takes it. (Without the check, its index would wrap to a negative number.) The
 * backend is driven directly: poll(2) itself takes no more fds than RLIMIT_NOFILE. */
Test(backend, poll_refuses_the_watcher_beyond_its_slot_range_with_emfile)
{
    eddy_loop *loop = eddy_loop_new();
    size_t n = (size_t)EDDY__IO_SLOT_MAX + 2;
    eddy__io *ios = calloc(n, sizeof *ios);
    cr_assert_not_null(ios);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    size_t failed_at = 0;
    int err = 0;
    for (size_t i = 0; i < n && !err; i++) {
        eddy__io_init(&ios[i], loop, p[0], on_any);
        ios[i].events = EDDY__READABLE;
        err = eddy__backend_update(loop, &ios[i]);
        failed_at = i;
    }
    cr_assert_eq(err, -EMFILE);
    cr_assert_eq(failed_at, n - 1, "refused at %zu", failed_at);
    cr_assert_eq(ios[n - 1].backend_slot, -1);
    cr_assert_eq(ios[n - 2].backend_slot, EDDY__IO_SLOT_MAX);
    /* A slot given back: the refused watcher fits (the last one moved into slot 0). */
    ios[0].events = 0;
    cr_assert_eq(eddy__backend_update(loop, &ios[0]), 0);
    cr_assert_eq(ios[n - 2].backend_slot, 0);
    cr_assert_eq(eddy__backend_update(loop, &ios[n - 1]), 0);
    cr_assert_eq(ios[n - 1].backend_slot, EDDY__IO_SLOT_MAX);
    for (size_t i = 1; i < n; i++)
        eddy__backend_forget(loop, &ios[i]);
    free(ios);
    close(p[0]);
    close(p[1]);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
#endif
