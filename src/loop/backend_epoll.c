/* The epoll backend (Linux). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "backend_choice.h"
#if EDDY__BACKEND == EDDY__BACKEND_EPOLL_ID /* else this file is empty */

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "backend.h"
#include "common/alloc.h"
#include "common/compiler.h"
#include "common/fd.h"

struct eddy__backend_state {
    int epfd;
    int cap;
    struct epoll_event events[]; /* the kernel's batch, translated into loop->fired */
};

/* The event array (in the state: no extra pointer on the hot path) and loop->fired hold
 * cap entries. It starts small (the loop's io_events option) and a wait that fills it
 * doubles it, up to io_events_max: the kernel keeps the events that did not fit
 * (level-triggered) for the next wait, so a full array costs extra waits, which the
 * doubling makes few. The growth keeps the batch being dispatched: growth happens at the
 * end of a wait, before its dispatch. A failed growth keeps the old size. */
static int events_resize(eddy_loop *loop, int cap)
{
    eddy__backend_state *b = loop->backend;
    size_t old = b ? sizeof *b + (size_t)b->cap * sizeof *b->events : 0;
    b = eddy__realloc(b, old, sizeof *b + (size_t)cap * sizeof *b->events);
    if (!b)
        return -ENOMEM;
    loop->backend = b;
    eddy__fired *fired = eddy__realloc(loop->fired, (size_t)loop->fired_cap * sizeof *fired,
                                       (size_t)cap * sizeof *fired);
    if (!fired)
        return -ENOMEM; /* the state may be larger than cap says: harmless */
    loop->fired = fired;
    b->cap = cap;
    loop->fired_cap = cap;
    return 0;
}

/* Kernel trap: epoll_create1 came with Linux 2.6.27. An older kernel (or a seccomp
 * sandbox that allows only the classic calls) answers ENOSYS, a libc emulating it EINVAL:
 * there epoll_create (whose size is only checked to be positive) and FD_CLOEXEC apart. */
static int epoll_open(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd >= 0 || (errno != ENOSYS && errno != EINVAL))
        return fd;
    fd = epoll_create(1);
    int err = fd < 0 ? 0 : eddy__fd_set_cloexec(fd);
    if (err < 0) {
        close(fd);
        errno = -err;
        return -1;
    }
    return fd;
}

int eddy__backend_init(eddy_loop *loop)
{
    loop->backend = NULL;
    loop->fired = NULL;
    loop->fired_cap = 0;
    if (events_resize(loop, (int)loop->opts.io_events) < 0) {
        eddy__free(loop->backend);
        loop->backend = NULL;
        return -ENOMEM;
    }
    eddy__backend_state *b = loop->backend;
    b->epfd = epoll_open();
    if (b->epfd < 0) {
        int err = -errno;
        eddy__free(loop->fired);
        loop->fired = NULL;
        eddy__free(b);
        loop->backend = NULL;
        return err;
    }
    loop->backend_fd = b->epfd;
    return 0;
}

void eddy__backend_free(eddy_loop *loop)
{
    if (!loop->backend)
        return;
    close(loop->backend->epfd);
    eddy__free(loop->backend);
    eddy__free(loop->fired);
    loop->backend = NULL;
    loop->fired = NULL;
}

static uint32_t epoll_mask(unsigned events)
{
    return (events & EDDY__READABLE ? EPOLLIN : 0) | (events & EDDY__WRITABLE ? EPOLLOUT : 0);
}

int eddy__backend_update(eddy_loop *loop, eddy__io *io)
{
    int epfd = loop->backend->epfd;
    /* The registration carries the watcher's address, not the fd number: an fd closed
     * and reused within one batch must never reach the new owner through an old event
     * (see eddy__io_close, which also drops the old watcher's events from the batch). */
    struct epoll_event ev = {.events = epoll_mask(io->events), .data.ptr = io};
    int op;
    if (io->events == 0)
        op = EPOLL_CTL_DEL;
    else if (io->registered == 0)
        op = EPOLL_CTL_ADD;
    else
        op = EPOLL_CTL_MOD;
    if (epoll_ctl(epfd, op, io->fd, &ev) == 0)
        return 0;
    /* EEXIST: the kernel still knows the fd, e.g. because a dup of it kept the old
     * registration alive after we closed our copy (epoll tracks open file descriptions,
     * not fd numbers). Take the registration over. ENOENT on MOD: the opposite. */
    if (op == EPOLL_CTL_ADD && errno == EEXIST)
        return epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev) == 0 ? 0 : -errno;
    if (op == EPOLL_CTL_MOD && errno == ENOENT)
        return epoll_ctl(epfd, EPOLL_CTL_ADD, io->fd, &ev) == 0 ? 0 : -errno;
    if (op == EPOLL_CTL_DEL && (errno == ENOENT || errno == EBADF))
        return 0;
    return -errno;
}

void eddy__backend_forget(eddy_loop *loop, eddy__io *io)
{
    /* Deregister explicitly before the close: closing our fd does not remove the
     * registration while another descriptor (a dup, a forked child's copy) shares the
     * open file description, and events for it would keep arriving with a dangling
     * pointer. */
    if (io->registered) {
        struct epoll_event ev = {0};
        epoll_ctl(loop->backend->epfd, EPOLL_CTL_DEL, io->fd, &ev);
    }
}

/* After a wait that filled the array: doubled for the next one, up to io_events_max. */
static EDDY__NOINLINE int events_full(eddy_loop *loop, eddy__backend_state *b)
{
    unsigned max = loop->opts.io_events_max, cap = (unsigned)b->cap;
    if (cap < max)
        events_resize(loop, (int)(cap * 2 < max ? cap * 2 : max));
    return 0;
}

int eddy__backend_poll(eddy_loop *loop, int timeout_ms)
{
    eddy__backend_state *b = loop->backend;
    int n = epoll_wait(b->epfd, b->events, b->cap, timeout_ms);
    if (n < 0) {
        loop->fired_len = 0;
        /* EINTR: a signal arrived; the caller recomputes its timeout and goes on. */
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n; i++) {
        uint32_t e = b->events[i].events;
        unsigned revents = 0;
        if (e & (EPOLLIN | EPOLLRDHUP))
            revents |= EDDY__READABLE;
        if (e & EPOLLOUT)
            revents |= EDDY__WRITABLE;
        /* Errors and hang-ups are reported as both, so the owner's own read or write
         * call picks up the exact error code. */
        if (e & (EPOLLERR | EPOLLHUP))
            revents |= EDDY__READABLE | EDDY__WRITABLE;
        loop->fired[i].io = b->events[i].data.ptr;
        loop->fired[i].revents = revents;
    }
    loop->fired_len = n;
    /* A full array: more may be ready than it held. (A tail call out of line: the test
     * is all that the steady state pays.) */
    if (n == b->cap)
        return events_full(loop, b);
    return 0;
}

int eddy__backend_watch_now(eddy_loop *loop, eddy__io *io, unsigned events)
{
    /* epoll_ctl is safe against a concurrent epoll_wait on the same epoll fd: the wait
     * sees the new descriptor, and returns at once if it is ready already. */
    struct epoll_event ev = {.events = epoll_mask(events), .data.ptr = io};
    if (epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, io->fd, &ev) < 0)
        return -errno;
    io->events = io->registered = events;
    return 0;
}

const char eddy__backend_update_call[] = "epoll_ctl";

const char *eddy__backend_name(void)
{
    return "epoll";
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int eddy__backend_epoll_not_chosen;
#endif
