/* The poll(2) backend: portable, O(n) per wait. For systems with neither epoll nor
 * kqueue, and to test the loop against a second backend. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "backend_choice.h"
#if EDDY__BACKEND == EDDY__BACKEND_POLL_ID /* else this file is empty */

#include <errno.h>
#include <poll.h>

#include "backend.h"
#include "common/alloc.h"

struct eddy__backend_state {
    struct pollfd *fds;
    eddy__io **ios; /* ios[i] watches fds[i]; io->backend_slot == i */
    int len, cap;
};

static int grow(eddy_loop *loop, eddy__backend_state *b);

int eddy__backend_init(eddy_loop *loop)
{
    eddy__backend_state *b = eddy__calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    loop->backend = b;
    loop->fired = NULL;
    loop->fired_cap = 0;
    /* The first slots now: a loop that watches a few fds never allocates while it runs
     * (a registration that cannot allocate fails its watcher, and the post watcher's
     * failure is only retried, so a lack of memory there would go unreported). */
    if (grow(loop, b) < 0) {
        eddy__backend_free(loop);
        return -ENOMEM;
    }
    return 0;
}

void eddy__backend_free(eddy_loop *loop)
{
    eddy__backend_state *b = loop->backend;
    if (!b)
        return;
    eddy__free(b->fds);
    eddy__free(b->ios);
    eddy__free(b);
    eddy__free(loop->fired);
    loop->backend = NULL;
    loop->fired = NULL;
}

static short poll_mask(unsigned events)
{
    return (short)((events & EDDY__READABLE ? POLLIN : 0) |
                   (events & EDDY__WRITABLE ? POLLOUT : 0));
}

static void slot_remove(eddy__backend_state *b, eddy__io *io)
{
    int i = io->backend_slot;
    if (i < 0)
        return;
    int last = --b->len;
    if (i != last) {
        b->fds[i] = b->fds[last];
        b->ios[i] = b->ios[last];
        b->ios[i]->backend_slot = i;
    }
    io->backend_slot = -1;
}

static int grow(eddy_loop *loop, eddy__backend_state *b)
{
    /* The loop's io_events option gives the first slots, then they double. */
    int cap = b->cap ? b->cap * 2 : (int)loop->opts.io_events;
    if (cap > EDDY__IO_SLOT_MAX + 1)
        cap = EDDY__IO_SLOT_MAX + 1; /* no slot beyond: see eddy__backend_update */
    struct pollfd *fds =
        eddy__realloc(b->fds, (size_t)b->cap * sizeof *fds, (size_t)cap * sizeof *fds);
    if (!fds)
        return -ENOMEM;
    b->fds = fds;
    eddy__io **ios = eddy__realloc(b->ios, (size_t)b->cap * sizeof *ios, (size_t)cap * sizeof *ios);
    if (!ios)
        return -ENOMEM;
    b->ios = ios;
    /* The batch can hold one entry per watched fd: sized here, never during a wait. */
    eddy__fired *fired = eddy__realloc(loop->fired, (size_t)loop->fired_cap * sizeof *fired,
                                       (size_t)cap * sizeof *fired);
    if (!fired)
        return -ENOMEM;
    loop->fired = fired;
    loop->fired_cap = cap;
    b->cap = cap;
    return 0;
}

int eddy__backend_update(eddy_loop *loop, eddy__io *io)
{
    eddy__backend_state *b = loop->backend;
    if (io->events == 0) {
        slot_remove(b, io);
        return 0;
    }
    if (io->backend_slot < 0) {
        /* The slot is a 22-bit field of the watcher (eddy__io is kept small, one per
         * socket): beyond EDDY__IO_SLOT_MAX + 1 fds (two million, more than poll(2) is
         * any use for) the watcher fails, as the process's own fd limit would fail it. */
        if (b->len > EDDY__IO_SLOT_MAX)
            return -EMFILE;
        if (b->len == b->cap && grow(loop, b) < 0)
            return -ENOMEM;
        io->backend_slot = b->len++;
        b->ios[io->backend_slot] = io;
        b->fds[io->backend_slot].fd = io->fd;
    }
    b->fds[io->backend_slot].events = poll_mask(io->events);
    b->fds[io->backend_slot].revents = 0;
    return 0;
}

void eddy__backend_forget(eddy_loop *loop, eddy__io *io)
{
    slot_remove(loop->backend, io);
}

int eddy__backend_poll(eddy_loop *loop, int timeout_ms)
{
    eddy__backend_state *b = loop->backend;
    loop->fired_len = 0;
    int n = poll(b->fds, (nfds_t)b->len, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int out = 0;
    for (int i = 0; i < b->len && out < n; i++) {
        short re = b->fds[i].revents;
        if (!re)
            continue;
        unsigned revents = 0;
        if (re & POLLIN)
            revents |= EDDY__READABLE;
        if (re & POLLOUT)
            revents |= EDDY__WRITABLE;
        /* Errors and hang-ups (and a closed fd, POLLNVAL) as both directions: the owner's
         * own read or write reports the exact error. */
        if (re & (POLLERR | POLLHUP | POLLNVAL))
            revents |= EDDY__READABLE | EDDY__WRITABLE;
        loop->fired[out].io = b->ios[i];
        loop->fired[out].revents = revents;
        out++;
    }
    loop->fired_len = out;
    return 0;
}

const char eddy__backend_update_call[] = "poll";

const char *eddy__backend_name(void)
{
    return "poll";
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int eddy__backend_poll_not_chosen;
#endif
