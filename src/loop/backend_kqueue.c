/* The kqueue backend (macOS, FreeBSD and the other BSDs).
 *
 * kqueue watches (fd, filter) pairs, so a watcher is up to two registrations: EVFILT_READ
 * and EVFILT_WRITE, both level-triggered like the epoll backend. Interest changes are not
 * a syscall each: eddy__backend_update appends them to a changelist, and the kevent call
 * that waits applies them first (one syscall per iteration, however many sockets changed
 * their interest). The price is that a rejected change is known only then: kevent puts it
 * in the event list as an EV_ERROR entry, which becomes the watcher's failure. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "backend_choice.h"
#if EDDY__BACKEND == EDDY__BACKEND_KQUEUE_ID /* else this file is empty */

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "common/alloc.h"
#include "common/compiler.h"
#include "common/fd.h"

struct eddy__backend_state {
    int kq;
    struct kevent *changes; /* queued for the next kevent call */
    int nchanges, changes_cap;
    int cap; /* events[] and loop->fired hold cap entries */
    struct kevent *events;
};

/* The event list starts small (the loop's io_events option) and a wait that fills it
 * doubles it, up to io_events_max (the filters are level-triggered: what did not fit is
 * returned by the next wait). The changelist starts at half that; it grows (and with it
 * the event list, past io_events_max if it must) when an iteration changes more. */
static int events_resize(eddy_loop *loop, eddy__backend_state *b, int cap)
{
    struct kevent *ev =
        eddy__realloc(b->events, (size_t)b->cap * sizeof *ev, (size_t)cap * sizeof *ev);
    if (!ev)
        return -ENOMEM;
    b->events = ev;
    /* The growth keeps the batch being dispatched: growth after a wait comes before its
     * dispatch. */
    eddy__fired *fired = eddy__realloc(loop->fired, (size_t)loop->fired_cap * sizeof *fired,
                                       (size_t)cap * sizeof *fired);
    if (!fired)
        return -ENOMEM; /* events[] may be larger than cap says: harmless */
    loop->fired = fired;
    loop->fired_cap = cap;
    b->cap = cap;
    return 0;
}

static void state_free(eddy_loop *loop, eddy__backend_state *b)
{
    eddy__free(b->changes);
    eddy__free(b->events);
    eddy__free(b);
    eddy__free(loop->fired);
    loop->fired = NULL;
}

int eddy__backend_init(eddy_loop *loop)
{
    eddy__backend_state *b = eddy__calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    loop->fired = NULL;
    loop->fired_cap = 0;
    int changes = ((int)loop->opts.io_events + 1) / 2;
    b->changes = eddy__malloc((size_t)changes * sizeof *b->changes);
    if (!b->changes || events_resize(loop, b, (int)loop->opts.io_events) < 0) {
        state_free(loop, b);
        return -ENOMEM;
    }
    b->changes_cap = changes;
    b->kq = kqueue();
    if (b->kq < 0) {
        int err = -errno;
        state_free(loop, b);
        return err;
    }
    /* A kqueue is not inherited across fork, but it is across exec: close it there. */
    eddy__fd_set_cloexec(b->kq); /* best effort, as before */
    loop->backend = b;
    loop->backend_fd = b->kq;
    return 0;
}

void eddy__backend_free(eddy_loop *loop)
{
    eddy__backend_state *b = loop->backend;
    if (!b)
        return;
    close(b->kq);
    state_free(loop, b);
    loop->backend = NULL;
}

/* Room for `more` changes. Every queued change may come back as an EV_ERROR entry, and
 * kevent returns -1 (leaving the changes after it unapplied) when one does not fit in
 * the event list: the event list is never shorter than the changelist. */
static int reserve_changes(eddy_loop *loop, eddy__backend_state *b, int more)
{
    int need = b->nchanges + more;
    if (need > b->changes_cap) {
        int cap = b->changes_cap * 2 >= need ? b->changes_cap * 2 : need;
        struct kevent *c =
            eddy__realloc(b->changes, (size_t)b->changes_cap * sizeof *c, (size_t)cap * sizeof *c);
        if (!c)
            return -ENOMEM;
        b->changes = c;
        b->changes_cap = cap;
    }
    if (need > b->cap && events_resize(loop, b, b->cap * 2 >= need ? b->cap * 2 : need) < 0)
        return -ENOMEM;
    return 0;
}

int eddy__backend_update(eddy_loop *loop, eddy__io *io)
{
    eddy__backend_state *b = loop->backend;
    static const struct {
        unsigned bit;
        short filter;
    } dirs[2] = {{EDDY__READABLE, EVFILT_READ}, {EDDY__WRITABLE, EVFILT_WRITE}};
    if (reserve_changes(loop, b, 2) < 0)
        return -ENOMEM;
    for (int i = 0; i < 2; i++) {
        bool want = io->events & dirs[i].bit, had = io->registered & dirs[i].bit;
        if (want == had)
            continue;
        struct kevent *kev = &b->changes[b->nchanges++];
        /* An added filter carries the watcher, not the fd number: an fd closed and reused
         * within one batch must never reach the new owner through an old event (and
         * eddy__io_close drops the old watcher's events from the batch). A delete carries
         * NULL: kevent reports a failed delete (the fd was closed behind our back) with the
         * change's udata, and like epoll's ENOENT on EPOLL_CTL_DEL it is nobody's failure. */
        if (want)
            EV_SET(kev, (uintptr_t)io->fd, dirs[i].filter, EV_ADD, 0, 0, io);
        else
            EV_SET(kev, (uintptr_t)io->fd, dirs[i].filter, EV_DELETE, 0, 0, NULL);
    }
    return 0;
}

int eddy__backend_watch_now(eddy_loop *loop, eddy__io *io, unsigned events)
{
    /* A kevent call may change a kqueue from any thread, also while the loop thread waits
     * in it: an added filter whose condition already holds wakes that wait. The change
     * goes straight to the kernel, not through the loop thread's changelist. */
    struct kevent ch[2];
    int n = 0;
    if (events & EDDY__READABLE)
        EV_SET(&ch[n++], (uintptr_t)io->fd, EVFILT_READ, EV_ADD, 0, 0, io);
    if (events & EDDY__WRITABLE)
        EV_SET(&ch[n++], (uintptr_t)io->fd, EVFILT_WRITE, EV_ADD, 0, 0, io);
    if (kevent(loop->backend_fd, ch, n, NULL, 0, NULL) < 0)
        return -errno;
    io->events = io->registered = events;
    return 0;
}

void eddy__backend_forget(eddy_loop *loop, eddy__io *io)
{
    /* Closing the fd removes its registrations: kqueue ties them to the descriptor, not
     * to the open file (unlike epoll, no dup or forked child keeps them alive), so no
     * syscall here. Changes still queued for this fd must go, though: applied after the
     * close, an EV_ADD would land on whatever file reuses the number, carrying this
     * watcher's address. Queued changes are few (they are flushed by every wait). */
    eddy__backend_state *b = loop->backend;
    int out = 0;
    for (int i = 0; i < b->nchanges; i++)
        if (b->changes[i].ident != (uintptr_t)io->fd)
            b->changes[out++] = b->changes[i];
    b->nchanges = out;
}

static unsigned kqueue_revents(const struct kevent *ev)
{
    /* EV_ERROR here is a rejected change of ours, data its errno (0 only for an
     * EV_RECEIPT, which we do not ask for: nothing to report). */
    if (ev->flags & EV_ERROR)
        return ev->data ? eddy__io_failure(-(int)ev->data) : 0;
    if (ev->filter == EVFILT_WRITE) {
        /* EV_EOF on the write side: the socket can send no more (reset, or a connect
         * that failed, with the error in fflags), or a pipe's reader is gone. epoll says
         * EPOLLERR/EPOLLHUP there: both directions, so the owner's own call (SO_ERROR for
         * a connect, write for a stream) reports the exact error. */
        return ev->flags & EV_EOF ? EDDY__READABLE | EDDY__WRITABLE : EDDY__WRITABLE;
    }
    /* EV_EOF on the read side with fflags 0 is the peer's FIN, possibly with data still
     * unread (data > 0): readable only, as epoll's EPOLLIN|EPOLLRDHUP, and the reads
     * drain the data before they see the end. With a socket error in fflags (a reset),
     * both directions, as epoll's EPOLLERR. */
    if ((ev->flags & EV_EOF) && ev->fflags != 0)
        return EDDY__READABLE | EDDY__WRITABLE;
    return EDDY__READABLE;
}

/* After a wait that filled the event list: doubled for the next one, up to io_events_max. */
static EDDY__NOINLINE int events_full(eddy_loop *loop, eddy__backend_state *b)
{
    unsigned max = loop->opts.io_events_max, cap = (unsigned)b->cap;
    if (cap < max)
        events_resize(loop, b, (int)(cap * 2 < max ? cap * 2 : max));
    return 0;
}

int eddy__backend_poll(eddy_loop *loop, int timeout_ms)
{
    eddy__backend_state *b = loop->backend;
    struct timespec ts, *tsp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    /* A call whose changelist had failures returns those EV_ERROR entries at once,
     * without waiting (FreeBSD): the next turn waits. FreeBSD also caps the timeout at 24
     * hours, harmlessly: the loop computes it again after every wait. */
    int n = kevent(b->kq, b->changes, b->nchanges, b->events, b->cap, tsp);
    /* With EINTR the changes were applied all the same (kqueue(2)); after any other
     * failure there is nothing better to do than drop them with the loop's error. */
    b->nchanges = 0;
    loop->fired_len = 0;
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int out = 0;
    for (int i = 0; i < n; i++) {
        const struct kevent *ev = &b->events[i];
        eddy__io *io = ev->udata;
        if (!io)
            continue; /* a failed delete: see eddy__backend_update */
        unsigned revents = kqueue_revents(ev);
        if (!revents)
            continue;
        /* One watcher is two registrations; when both fire they usually come out side by
         * side: one entry, as epoll gives, so the owner runs once. A failure stands
         * alone (its errno is packed in the bits). */
        if (out > 0 && loop->fired[out - 1].io == io) {
            unsigned prev = loop->fired[out - 1].revents;
            if (prev & EDDY__IO_FAILED)
                continue;
            loop->fired[out - 1].revents = revents & EDDY__IO_FAILED ? revents : prev | revents;
            continue;
        }
        loop->fired[out].io = io;
        loop->fired[out].revents = revents;
        out++;
    }
    loop->fired_len = out;
    /* A full event list: more may be ready than it held. (A tail call out of line: the
     * test is all that the steady state pays.) */
    if (n == b->cap)
        return events_full(loop, b);
    return 0;
}

const char eddy__backend_update_call[] = "kevent";

const char *eddy__backend_name(void)
{
    return "kqueue";
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int eddy__backend_kqueue_not_chosen;
#endif
