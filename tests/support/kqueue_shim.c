/* A test-only kqueue for Linux, on top of epoll: enough of kqueue(2)/kevent(2) to run
 * src/loop/backend_kqueue.c and the whole test suite here. Written from the kqueue(2)
 * manual pages of FreeBSD and macOS. Never installed, never part of libeddy: the build
 * makes it a static library of its own (eddy_kqueue_shim) for the programs of a
 * -Dio_backend=kqueue build on Linux.
 *
 * Modelled
 * - kqueue(): an epoll instance; its descriptor is the kqueue descriptor (close(2) it).
 * - kevent(): the changelist is applied in order before anything is read; a change that
 *   fails is returned as an EV_ERROR entry (data = errno, the other fields those of the
 *   change) while there is room in the eventlist, else kevent fails with that errno and
 *   the later changes are not applied; EV_RECEIPT returns an entry for every change (data
 *   0 on success). As on FreeBSD, a call that returned such entries does not wait for
 *   events. nevents 0 returns at once. timeout NULL waits for ever. EINTR from the wait
 *   is kevent's EINTR, with every change applied (as kqueue(2) says).
 * - EVFILT_READ / EVFILT_WRITE on descriptors: one knote per (fd, filter), level-triggered,
 *   EV_ADD (re-adding modifies: udata, flags), EV_DELETE (ENOENT when absent),
 *   EV_ENABLE, EV_DISABLE, EV_ONESHOT (deleted once returned), EV_CLEAR (see below).
 *   READ: data = bytes available (FIONREAD; 1 where that has no answer, e.g. a listening
 *   socket, whose data is the backlog on kqueue); EV_EOF once the peer shut its side (the
 *   FIN, possibly with data unread) or the descriptor hung up. WRITE: EV_EOF when nothing
 *   more can be sent (hang-up, error, a pipe whose reader is gone).
 *   On EV_EOF of a socket with an error pending, fflags is nonzero (see below).
 *   EBADF for a descriptor that is not open.
 * - close(2) removes the knotes of a descriptor: the shim cannot see the close, so it
 *   notices it afterwards (the descriptor is no longer open, or is another file, compared
 *   by st_dev/st_ino) at the next change or event for that number, and drops the old
 *   knotes and their events then; a registration is tagged with a generation so that an
 *   event of the old file never reaches a knote of the new one.
 * - EVFILT_USER: EV_ADD/EV_DELETE/EV_ENABLE/EV_DISABLE/EV_ONESHOT/EV_CLEAR, NOTE_TRIGGER
 *   (from any thread: it wakes a waiting kevent), NOTE_FFNOP/FFAND/FFOR/FFCOPY on the 24
 *   user bits, returned in fflags. Without EV_CLEAR a triggered event stays triggered.
 *
 * Not modelled (EINVAL), or different from real kqueue
 * - Other filters: EVFILT_VNODE, EVFILT_PROC, EVFILT_SIGNAL, EVFILT_TIMER, EVFILT_AIO,
 *   EVFILT_EXCEPT...; NOTE_* flags on sockets (NOTE_LOWAT...); EV_DISPATCH,
 *   EV_UDATA_SPECIFIC, EV_OOBAND, kevent64/kevent_qos; fork semantics (a kqueue is not
 *   inherited by a child: here the epoll descriptor is).
 * - Regular files: kqueue reports them (vnode semantics); epoll refuses them, so an
 *   EV_ADD on one fails with EPERM.
 * - fflags on EV_EOF: kqueue returns the socket's pending error (so_error) without clearing
 *   it. Linux can read that error only by clearing it (SO_ERROR, or the read that
 *   returns it), and the program must still find it, so the shim leaves it on the socket
 *   and puts EIO in fflags whenever epoll says EPOLLERR: zero or not, as on kqueue, but not
 *   the real code.
 * - Write-side EV_EOF comes from epoll's EPOLLHUP/EPOLLERR: after our own shutdown(SHUT_WR)
 *   alone, kqueue sets EV_EOF on the write filter and the shim does not (epoll has no flag
 *   for it); WRITE's data is 0 (the free space is not computed).
 * - EV_CLEAR on a descriptor makes the fd's epoll registration edge-triggered (EPOLLET):
 *   both its filters then, if the other is level-triggered on kqueue.
 * - A descriptor closed while another copy of its file is open (a dup, a forked child, a
 *   descriptor in flight over a UNIX socket) stays in the epoll set: epoll keys on the open
 *   file, and nothing can remove it without a descriptor of it (epoll's own trap). Its
 *   events are dropped (wrong generation), but while its condition holds each wait returns
 *   at once to drop them again, until that last copy is closed.
 * - A wait takes at most half as many descriptors from epoll as the eventlist has room
 *   for (each can make two events), so it may return fewer events than are ready (allowed:
 *   "up to nevents"); with room for one, a descriptor whose two filters are both ready
 *   returns one, the other at the next call (an EV_CLEAR edge is lost then).
 * - A stale knote for a regular file closed and opened again (same inode) is not noticed.
 * - The shim keeps what it knows of a kqueue until kqueue() returns the same descriptor
 *   number again (the old one was closed then); the eventfd that EVFILT_USER needs (made at
 *   the first NOTE_TRIGGER) is closed at that point too, not at close(2) of the kqueue.
 * - Thread safety: changes and waits on one kqueue from several threads are serialized by
 *   a lock (the wait itself runs unlocked), which is enough for NOTE_TRIGGER from another
 *   thread; real kqueue is finer-grained. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sys/event.h"

#define KEPT_FLAGS (EV_ONESHOT | EV_CLEAR)
#define USER_TAG UINT32_MAX /* the epoll tag of the EVFILT_USER wakeup eventfd */

typedef struct {
    bool active, enabled;
    uint16_t flags; /* KEPT_FLAGS given with EV_ADD */
    void *udata;
} knote;

/* The knotes of one descriptor: one epoll registration for both filters. */
typedef struct {
    knote rd, wr;
    bool in_epoll;
    uint32_t mask; /* what epoll was last told */
    uint32_t gen;  /* tags the registration; a new file at this number gets a new one */
    dev_t dev;     /* the file the knotes belong to */
    ino_t ino;
} fdnote;

typedef struct unote {
    struct unote *next;
    uintptr_t ident;
    bool enabled, triggered;
    uint16_t flags;
    uint32_t fflags; /* the user's 24 bits */
    void *udata;
} unote;

typedef struct {
    int epfd;
    int wakefd; /* eventfd for NOTE_TRIGGER from another thread; -1 until needed */
    pthread_mutex_t lock;
    fdnote *fds;
    int nfds; /* fds[0..nfds) allocated */
    uint32_t next_gen;
    unote *users;
} shim_kq;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static shim_kq **registry; /* indexed by the kqueue's descriptor */
static int registry_len;

static void kq_destroy(shim_kq *q)
{
    if (q->wakefd >= 0)
        close(q->wakefd);
    while (q->users) {
        unote *u = q->users;
        q->users = u->next;
        free(u);
    }
    free(q->fds);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

int kqueue(void)
{
    shim_kq *q = calloc(1, sizeof *q);
    if (!q) {
        errno = ENOMEM;
        return -1;
    }
    q->epfd = epoll_create1(0);
    if (q->epfd < 0) {
        int err = errno;
        free(q);
        errno = err;
        return -1;
    }
    q->wakefd = -1;
    q->next_gen = 1;
    pthread_mutex_init(&q->lock, NULL);
    pthread_mutex_lock(&registry_lock);
    if (q->epfd >= registry_len) {
        int len = q->epfd + 16;
        shim_kq **r = realloc(registry, (size_t)len * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&registry_lock);
            close(q->epfd);
            kq_destroy(q);
            errno = ENOMEM;
            return -1;
        }
        memset(r + registry_len, 0, (size_t)(len - registry_len) * sizeof *r);
        registry = r;
        registry_len = len;
    }
    /* The kernel handed out this number again: the kqueue that had it was closed. */
    if (registry[q->epfd])
        kq_destroy(registry[q->epfd]);
    registry[q->epfd] = q;
    pthread_mutex_unlock(&registry_lock);
    return q->epfd;
}

static shim_kq *kq_find(int kq)
{
    shim_kq *q = NULL;
    pthread_mutex_lock(&registry_lock);
    if (kq >= 0 && kq < registry_len)
        q = registry[kq];
    pthread_mutex_unlock(&registry_lock);
    return q;
}

/* ---- descriptors ---- */

static fdnote *fd_note(shim_kq *q, int fd, bool create)
{
    if (fd < q->nfds)
        return &q->fds[fd];
    if (!create)
        return NULL;
    int n = fd + 64;
    fdnote *f = realloc(q->fds, (size_t)n * sizeof *f);
    if (!f)
        return NULL;
    memset(f + q->nfds, 0, (size_t)(n - q->nfds) * sizeof *f);
    q->fds = f;
    q->nfds = n;
    return &q->fds[fd];
}

static bool fd_has_knotes(const fdnote *n)
{
    return n->rd.active || n->wr.active;
}

/* What kqueue did at close(2): the knotes are gone. Any registration epoll still holds
 * for the old file carries the old generation and is ignored from now on. */
static void fd_forget(shim_kq *q, fdnote *n)
{
    n->rd.active = n->wr.active = false;
    n->in_epoll = false;
    n->mask = 0;
    n->gen = q->next_gen++;
}

/* 0 when fd is open and is still the file the knotes were made for (or has none);
 * the knotes of a closed or replaced file are dropped. EBADF when fd is not open. */
static int fd_check(shim_kq *q, int fd, fdnote *n)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        if (n && fd_has_knotes(n))
            fd_forget(q, n);
        return EBADF;
    }
    if (n && fd_has_knotes(n) && (n->dev != st.st_dev || n->ino != st.st_ino))
        fd_forget(q, n);
    if (n && !fd_has_knotes(n)) {
        n->dev = st.st_dev;
        n->ino = st.st_ino;
    }
    return 0;
}

static uint32_t fd_epoll_mask(const fdnote *n)
{
    uint32_t m = 0;
    bool clear = false;
    if (n->rd.active && n->rd.enabled) {
        m |= EPOLLIN | EPOLLRDHUP;
        clear |= n->rd.flags & EV_CLEAR;
    }
    if (n->wr.active && n->wr.enabled) {
        m |= EPOLLOUT;
        clear |= n->wr.flags & EV_CLEAR;
    }
    if (m && clear)
        m |= EPOLLET;
    return m;
}

/* Tells epoll what the knotes of fd now want. 0 or an errno. */
static int fd_sync(shim_kq *q, int fd, fdnote *n)
{
    uint32_t m = fd_epoll_mask(n);
    if (n->in_epoll && m == n->mask)
        return 0;
    struct epoll_event ev = {.events = m, .data.u64 = ((uint64_t)n->gen << 32) | (uint32_t)fd};
    if (m == 0) {
        if (n->in_epoll)
            epoll_ctl(q->epfd, EPOLL_CTL_DEL, fd, &ev);
        n->in_epoll = false;
        n->mask = 0;
        return 0;
    }
    int op = n->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(q->epfd, op, fd, &ev);
    /* ENOENT: epoll dropped the registration when the last copy of the file closed;
     * EEXIST: a registration for this very file is left from before (a dup of it kept it
     * alive). Either way, take over with what is wanted now. */
    if (rc < 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        rc = epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev);
    else if (rc < 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        rc = epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &ev);
    if (rc < 0)
        return errno;
    n->in_epoll = true;
    n->mask = m;
    return 0;
}

static int change_fd(shim_kq *q, const struct kevent *kev)
{
    if (kev->ident > INT_MAX)
        return EBADF;
    int fd = (int)kev->ident;
    fdnote *n = fd_note(q, fd, (kev->flags & EV_ADD) != 0);
    int err = fd_check(q, fd, n);
    if (err)
        return err;
    if (!n)
        return (kev->flags & EV_ADD) ? ENOMEM : ENOENT;
    knote *k = kev->filter == EVFILT_READ ? &n->rd : &n->wr;
    knote saved = *k;
    if (kev->flags & EV_DELETE) {
        if (!k->active)
            return ENOENT;
        k->active = false;
    } else if (kev->flags & EV_ADD) {
        if (!k->active) {
            k->active = true;
            k->enabled = true; /* "adding an event automatically enables it" */
        }
        k->flags = kev->flags & KEPT_FLAGS;
        k->udata = kev->udata;
    } else if (!k->active) {
        return ENOENT;
    }
    if (k->active && (kev->flags & EV_DISABLE))
        k->enabled = false;
    else if (k->active && (kev->flags & EV_ENABLE))
        k->enabled = true;
    err = fd_sync(q, fd, n);
    if (err)
        *k = saved; /* epoll refused it (a regular file: EPERM): the change did not happen */
    return err;
}

/* ---- EVFILT_USER ---- */

static unote **user_find(shim_kq *q, uintptr_t ident)
{
    unote **p = &q->users;
    while (*p && (*p)->ident != ident)
        p = &(*p)->next;
    return p;
}

static int user_wake(shim_kq *q)
{
    if (q->wakefd < 0) {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0)
            return errno;
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = USER_TAG};
        if (epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            int err = errno;
            close(fd);
            return err;
        }
        q->wakefd = fd;
    }
    uint64_t one = 1;
    ssize_t r;
    do
        r = write(q->wakefd, &one, sizeof one);
    while (r < 0 && errno == EINTR);
    return 0;
}

static int change_user(shim_kq *q, const struct kevent *kev)
{
    unote **p = user_find(q, kev->ident);
    unote *u = *p;
    if (kev->flags & EV_DELETE) {
        if (!u)
            return ENOENT;
        *p = u->next;
        free(u);
        return 0;
    }
    if (!u) {
        if (!(kev->flags & EV_ADD))
            return ENOENT;
        u = calloc(1, sizeof *u);
        if (!u)
            return ENOMEM;
        u->ident = kev->ident;
        u->enabled = true;
        *p = u;
    }
    if (kev->flags & EV_ADD) {
        u->flags = kev->flags & KEPT_FLAGS;
        u->udata = kev->udata;
    }
    if (kev->flags & EV_DISABLE)
        u->enabled = false;
    else if (kev->flags & EV_ENABLE)
        u->enabled = true;
    uint32_t bits = kev->fflags & NOTE_FFLAGSMASK;
    switch (kev->fflags & NOTE_FFCTRLMASK) {
    case NOTE_FFAND:
        u->fflags &= bits;
        break;
    case NOTE_FFOR:
        u->fflags |= bits;
        break;
    case NOTE_FFCOPY:
        u->fflags = bits;
        break;
    default: /* NOTE_FFNOP */
        break;
    }
    if (kev->fflags & NOTE_TRIGGER) {
        u->triggered = true;
        return user_wake(q);
    }
    return 0;
}

static int apply_change(shim_kq *q, const struct kevent *kev)
{
    switch (kev->filter) {
    case EVFILT_READ:
    case EVFILT_WRITE:
        return change_fd(q, kev);
    case EVFILT_USER:
        return change_user(q, kev);
    default:
        return EINVAL;
    }
}

/* ---- waiting ---- */

static int collect_users(shim_kq *q, struct kevent *out, int room)
{
    int n = 0;
    for (unote **p = &q->users; *p && n < room;) {
        unote *u = *p;
        if (!u->enabled || !u->triggered) {
            p = &u->next;
            continue;
        }
        EV_SET(&out[n], u->ident, EVFILT_USER, u->flags, u->fflags, 0, u->udata);
        n++;
        if (u->flags & EV_CLEAR) {
            u->triggered = false;
            u->fflags = 0;
        }
        if (u->flags & EV_ONESHOT) {
            *p = u->next;
            free(u);
            continue;
        }
        p = &u->next;
    }
    return n;
}

static intptr_t bytes_readable(int fd)
{
    int n;
    if (ioctl(fd, FIONREAD, &n) < 0)
        return 1; /* a listening socket, an eventfd...: "something is there" */
    return n;
}

/* The kevents of one epoll event, into out[0..room). Returns how many were written. */
static int translate(shim_kq *q, const struct epoll_event *ev, struct kevent *out, int room)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    fdnote *n = fd_note(q, fd, false);
    if (!n || n->gen != gen || !fd_has_knotes(n))
        return 0; /* a registration of a file that is gone from this number */
    if (fd_check(q, fd, n) != 0 || !fd_has_knotes(n))
        return 0; /* closed (or replaced) since: its knotes went with the close */
    uint32_t e = ev->events;
    int w = 0;
    bool changed = false;
    knote *ks[2] = {&n->rd, &n->wr};
    for (int i = 0; i < 2 && w < room; i++) {
        knote *k = ks[i];
        if (!k->active || !k->enabled)
            continue;
        bool rd = i == 0;
        uint32_t ready =
            rd ? EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR : EPOLLOUT | EPOLLHUP | EPOLLERR;
        if (!(e & ready))
            continue;
        uint16_t flags = k->flags;
        uint32_t fflags = 0;
        bool eof = rd ? (e & (EPOLLRDHUP | EPOLLHUP)) != 0 : (e & (EPOLLHUP | EPOLLERR)) != 0;
        if (eof) {
            flags |= EV_EOF;
            if (e & EPOLLERR) {
                struct stat st;
                /* a socket's error: see the head of the file. A pipe's EPOLLERR is its
                 * reader gone, no error. */
                if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
                    fflags = EIO;
            }
        }
        EV_SET(&out[w], (uintptr_t)fd, rd ? EVFILT_READ : EVFILT_WRITE, flags, fflags,
               rd ? bytes_readable(fd) : 0, k->udata);
        w++;
        if (k->flags & EV_ONESHOT) {
            k->active = false;
            changed = true;
        }
    }
    if (changed)
        fd_sync(q, fd, n);
    return w;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum { WAIT_BATCH = 256 };

static int wait_events(shim_kq *q, struct kevent *eventlist, int nevents,
                       const struct timespec *timeout)
{
    int64_t deadline = -1;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L) {
            errno = EINVAL;
            return -1;
        }
        /* rounded up: never return before the time asked */
        deadline =
            mono_ms() + (int64_t)timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000;
    }
    struct epoll_event evs[WAIT_BATCH];
    for (;;) {
        pthread_mutex_lock(&q->lock);
        int out = collect_users(q, eventlist, nevents);
        pthread_mutex_unlock(&q->lock);
        int wait_ms = -1;
        if (out > 0)
            wait_ms = 0;
        else if (deadline >= 0) {
            int64_t left = deadline - mono_ms();
            wait_ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        }
        /* One epoll event can make two kevents (READ and WRITE of one descriptor): ask for
         * no more than always fit, so that nothing an epoll_wait consumed (an edge of an
         * EV_CLEAR registration) is lost for want of room. With room for one, the second
         * filter of a descriptor waits for the next call (an EV_CLEAR edge is lost then). */
        int room = nevents - out;
        int max = room > 1 ? room / 2 : room;
        if (max > WAIT_BATCH)
            max = WAIT_BATCH;
        int got = 0;
        if (max > 0) {
            got = epoll_wait(q->epfd, evs, max, wait_ms);
            if (got < 0) {
                if (out > 0)
                    return out;
                return -1; /* EINTR included: every change is applied already */
            }
        }
        pthread_mutex_lock(&q->lock);
        for (int i = 0; i < got; i++) {
            if (evs[i].data.u64 == USER_TAG) {
                uint64_t v;
                while (read(q->wakefd, &v, sizeof v) > 0) {
                }
                continue;
            }
            out += translate(q, &evs[i], eventlist + out, nevents - out);
        }
        if (out < nevents)
            out += collect_users(q, eventlist + out, nevents - out);
        pthread_mutex_unlock(&q->lock);
        if (out > 0 || wait_ms == 0 || max == 0)
            return out;
        /* Every event was stale (dropped): wait for the rest of the time. */
    }
}

int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout)
{
    shim_kq *q = kq_find(kq);
    if (!q) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0 || (nchanges > 0 && !changelist) ||
        (nevents > 0 && !eventlist)) {
        errno = EINVAL;
        return -1;
    }
    int out = 0;
    pthread_mutex_lock(&q->lock);
    for (int i = 0; i < nchanges; i++) {
        /* a copy: the same array may serve as changelist and eventlist */
        struct kevent kev = changelist[i];
        int err = apply_change(q, &kev);
        if (!err && !(kev.flags & EV_RECEIPT))
            continue;
        if (out == nevents) {
            pthread_mutex_unlock(&q->lock);
            if (!err)
                return out; /* a receipt with no room: the rest is not processed */
            errno = err;
            return -1;
        }
        kev.flags = EV_ERROR;
        kev.data = err;
        eventlist[out++] = kev;
    }
    pthread_mutex_unlock(&q->lock);
    if (out > 0 || nevents == 0)
        return out;
    return wait_events(q, eventlist, nevents, timeout);
}
