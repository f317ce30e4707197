/* Signal watchers (eddy_signal_start): Node's process.on('SIGINT'), libuv's uv_signal_t.
 *
 * How a signal travels: the kernel runs eddy's handler in some thread of the process; the
 * handler sets the signal's bit in the pending mask of every loop that watches it and
 * wakes that loop through its own descriptor (an eventfd on Linux, a self-pipe
 * elsewhere). The loop reads the descriptor in its I/O phase, takes the mask, and calls
 * the watchers on its own thread. Nothing but an atomic OR and a write(2) happens in
 * signal context.
 *
 * Why not signalfd on Linux: a signalfd only sees a signal that is blocked in every
 * thread (an unblocked thread gets it delivered instead, with its default action: SIGINT
 * would kill the process), and a library cannot block signals in threads it did not
 * create; and a process-directed signal is dequeued by one signalfd read, so of two
 * loops watching SIGINT only one would hear it. The handler reaches every watching loop
 * and needs nothing from the application's threads.
 *
 * The process-wide state, and why it must exist: a signal handler receives no context
 * pointer, so the loops that watch a signal can only be found through a global. There is
 * exactly that: the list of loops with watchers (registry, with per-loop counts per
 * signal), the list of the signals watched (dispositions: for each, how many loops watch
 * it, to install the handler with the first and restore the saved disposition with the
 * last; allocated with the first watcher of a signal, so that a program that watches two
 * signals keeps two saved sigactions, not one per possible signal), a mutex that
 * orders the threads that start and stop watchers, and a spinlock that the handler takes
 * to read the registry. The spinlock is safe in signal context: it is only held by a
 * thread that has blocked every signal first (so the handler can never interrupt its own
 * holder), for a few instructions, and atomic_flag is always lock-free. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/alloc.h"
#include "loop_internal.h"
#include "wakeup.h"

/* EDDY_NO_SIGNALS (eddy/config.h): no watcher can be made, and none of what is described
 * above is built: no handler, no registry (no static memory), no wakeup descriptor, no
 * sigaction or pthread_sigmask call. Start fails with -ENOSYS; the other calls can only be handed
 * NULL and do nothing. The loop's hook (eddy__signals_free) is an empty inline then. */
#ifdef EDDY_NO_SIGNALS
eddy_signal *eddy_signal_start_ex(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                                  void *ctx, int *err)
{
    (void)loop, (void)signum, (void)fn, (void)ctx;
    if (err)
        *err = -ENOSYS;
    return NULL;
}

eddy_signal *eddy_signal_start(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                               void *ctx)
{
    return eddy_signal_start_ex(loop, signum, fn, ctx, NULL);
}

void eddy_signal_stop(eddy_signal *w)
{
    (void)w;
}

void eddy_signal_unref(eddy_signal *w)
{
    (void)w;
}

void eddy_signal_ref(eddy_signal *w)
{
    (void)w;
}

int eddy_signal_signum(const eddy_signal *w)
{
    (void)w;
    return 0;
}
#else
enum { MAX_SIGNUM = 64 }; /* bit signum - 1 of a 64-bit mask */

struct eddy_signal {
    eddy__queue node; /* in the loop's watchers */
    eddy__closer closer;
    eddy_loop *loop;
    int signum;
    void (*fn)(int signum, void *ctx);
    void *ctx;
    bool referenced;
    bool running; /* its callback is on the stack */
    bool stopped; /* stopped inside its callback: released when it returns */
};

struct eddy__signals {
    eddy__queue registry_node; /* linked while watching any signal */
    eddy__queue watchers;      /* eddy_signal, in start order */
    unsigned watching[MAX_SIGNUM + 1];
    unsigned watching_total;
    atomic_uint_least64_t pending; /* set by the handler, taken by the loop */
    int wake_read, wake_write;     /* the same eventfd twice on Linux */
    eddy__io io;
};

/* A signal some loop watches: what to restore when the last loop stops watching it. */
struct disposition {
    struct disposition *next;
    int signum;
    unsigned loops; /* loops watching signum */
    struct sigaction saved;
};

static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_flag registry_spin = ATOMIC_FLAG_INIT;
static eddy__queue registry = {&registry, &registry};
static struct disposition *dispositions; /* under registry_mutex; never read by the handler */

static uint_least64_t signal_bit(int signum)
{
    return (uint_least64_t)1 << (signum - 1);
}

static void wake(struct eddy__signals *st)
{
    uint64_t one = 1;
    ssize_t n = write(st->wake_write, &one, st->wake_read == st->wake_write ? sizeof one : 1);
    (void)n; /* EAGAIN: a wakeup is already pending, which is all we need */
}

static void spin_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&registry_spin, memory_order_acquire))
        ; /* held for a few instructions, by a thread that blocked every signal */
}

static void spin_unlock(void)
{
    atomic_flag_clear_explicit(&registry_spin, memory_order_release);
}

static void on_signal(int signum)
{
    int saved_errno = errno;
    spin_lock();
    for (eddy__queue *q = registry.next; q != &registry; q = q->next) {
        struct eddy__signals *st = EDDY__CONTAINER_OF(q, struct eddy__signals, registry_node);
        if (st->watching[signum]) {
            atomic_fetch_or(&st->pending, signal_bit(signum));
            wake(st);
        }
    }
    spin_unlock();
    errno = saved_errno;
}

/* Changes to the registry: with every signal blocked in this thread (so that our own
 * handler cannot spin on the lock we hold), under the mutex (so that installing and
 * restoring the handler stays in step with the counts). */
static void registry_lock(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, old);
    pthread_mutex_lock(&registry_mutex);
}

static void registry_unlock(const sigset_t *old)
{
    pthread_mutex_unlock(&registry_mutex);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* The disposition entry of signum (under the mutex), its link in the list in *link. */
static struct disposition *disposition_find(int signum, struct disposition ***link)
{
    struct disposition **p = &dispositions;
    while (*p && (*p)->signum != signum)
        p = &(*p)->next;
    *link = p;
    return *p;
}

/* Counts one more watcher of signum on st: installs the handler for the process's first
 * one. 0 or -errno (the counts are unchanged then). */
static int registry_add(struct eddy__signals *st, int signum)
{
    sigset_t old;
    registry_lock(&old);
    int err = 0;
    if (st->watching[signum] == 0) { /* this loop is new to signum */
        struct disposition **link;
        struct disposition *d = disposition_find(signum, &link);
        if (!d) {
            d = eddy__calloc(1, sizeof *d);
            struct sigaction sa = {0};
            sa.sa_handler = on_signal;
            sa.sa_flags = SA_RESTART;
            sigfillset(&sa.sa_mask); /* no handler of ours nests inside another */
            if (!d) {
                err = -ENOMEM;
            } else if (sigaction(signum, &sa, &d->saved) < 0) {
                err = -errno;
                eddy__free(d);
            } else {
                d->signum = signum;
                *link = d;
            }
        }
        if (!err)
            d->loops++;
    }
    if (!err) {
        spin_lock();
        if (st->watching_total++ == 0)
            eddy__queue_insert_tail(&registry, &st->registry_node);
        st->watching[signum]++;
        spin_unlock();
    }
    registry_unlock(&old);
    return err;
}

static void registry_remove(struct eddy__signals *st, int signum)
{
    sigset_t old;
    registry_lock(&old);
    spin_lock();
    st->watching[signum]--;
    if (--st->watching_total == 0)
        eddy__queue_remove(&st->registry_node);
    spin_unlock();
    struct disposition **link;
    struct disposition *d = st->watching[signum] == 0 ? disposition_find(signum, &link) : NULL;
    if (d && --d->loops == 0) {
        sigaction(signum, &d->saved, NULL);
        *link = d->next;
        eddy__free(d);
    }
    registry_unlock(&old);
}

static void watcher_release(eddy_signal *w)
{
    eddy__handle_remove(w->loop);
    eddy__free(w);
}

/* Delivers the pending signals to the watchers, in start order. Each watcher goes back
 * on the list before its call, so a callback may stop any watcher, its own included. */
static void signals_dispatch(eddy__io *io, unsigned revents)
{
    struct eddy__signals *st = EDDY__CONTAINER_OF(io, struct eddy__signals, io);
    (void)revents;
    uint64_t buf[8];
    while (read(st->wake_read, buf, sizeof buf) > 0) {
        if (st->wake_read == st->wake_write)
            break; /* an eventfd resets with one read */
    }
    uint_least64_t mask = atomic_exchange(&st->pending, 0);
    for (int signum = 1; mask && signum <= MAX_SIGNUM; signum++) {
        if (!(mask & signal_bit(signum)))
            continue;
        mask &= ~signal_bit(signum);
        eddy__queue batch;
        eddy__queue_init(&batch);
        eddy__queue_move(&st->watchers, &batch);
        while (!eddy__queue_empty(&batch)) {
            eddy_signal *w = EDDY__CONTAINER_OF(batch.next, eddy_signal, node);
            eddy__queue_remove(&w->node);
            eddy__queue_insert_tail(&st->watchers, &w->node);
            if (w->signum != signum)
                continue;
            w->running = true;
            w->fn(signum, w->ctx);
            w->running = false;
            if (w->stopped)
                watcher_release(w);
        }
    }
}

/* The loop's signal state, made with its first watcher and kept until eddy_loop_free
 * (a program that watches once tends to watch again). The wakeup descriptor is not a
 * handle: the watchers are. */
static int signals_get(eddy_loop *loop, struct eddy__signals **out)
{
    if (loop->signals) {
        *out = loop->signals;
        return 0;
    }
    struct eddy__signals *st = eddy__calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    int fds[2];
    int err = eddy__wakeup_open(fds);
    if (err < 0) {
        eddy__free(st);
        return err;
    }
    st->wake_read = fds[0];
    st->wake_write = fds[1];
    eddy__queue_init(&st->registry_node);
    eddy__queue_init(&st->watchers);
    atomic_init(&st->pending, 0);
    eddy__io_init(&st->io, loop, st->wake_read, signals_dispatch);
    eddy__io_start(&st->io, EDDY__READABLE);
    loop->signals = st;
    *out = st;
    return 0;
}

void eddy__signals_free(eddy_loop *loop)
{
    struct eddy__signals *st = loop->signals;
    if (!st)
        return;
    eddy__io_close(&st->io);
    close(st->wake_read);
    if (st->wake_write != st->wake_read)
        close(st->wake_write);
    eddy__free(st);
    loop->signals = NULL;
}

static void watcher_close(eddy__closer *c)
{
    eddy_signal_stop(EDDY__CONTAINER_OF(c, eddy_signal, closer));
}

eddy_signal *eddy_signal_start_ex(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                                  void *ctx, int *err)
{
    int e = 0;
    eddy_signal *w = NULL;
    struct eddy__signals *st;
    if (!loop || !fn || signum < 1 || signum > MAX_SIGNUM || signum == SIGKILL ||
        signum == SIGSTOP) {
        e = -EINVAL;
        goto out;
    }
    e = signals_get(loop, &st);
    if (e < 0)
        goto out;
    w = eddy__calloc(1, sizeof *w);
    if (!w) {
        e = -ENOMEM;
        goto out;
    }
    e = registry_add(st, signum);
    if (e < 0) {
        eddy__free(w);
        w = NULL;
        goto out;
    }
    w->loop = loop;
    w->signum = signum;
    w->fn = fn;
    w->ctx = ctx;
    w->referenced = true;
    eddy__queue_insert_tail(&st->watchers, &w->node);
    eddy__closer_link(loop, &w->closer, watcher_close);
    eddy__handle_add(loop);
    eddy__loop_ref(loop);
out:
    if (err)
        *err = e;
    return w;
}

eddy_signal *eddy_signal_start(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                               void *ctx)
{
    return eddy_signal_start_ex(loop, signum, fn, ctx, NULL);
}

void eddy_signal_stop(eddy_signal *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = true;
    registry_remove(w->loop->signals, w->signum);
    eddy__queue_remove(&w->node);
    eddy__closer_unlink(&w->closer);
    if (w->referenced)
        eddy__loop_unref(w->loop);
    if (!w->running)
        watcher_release(w);
}

void eddy_signal_unref(eddy_signal *w)
{
    if (!w || w->stopped || !w->referenced)
        return;
    w->referenced = false;
    eddy__loop_unref(w->loop);
}

void eddy_signal_ref(eddy_signal *w)
{
    if (!w || w->stopped || w->referenced)
        return;
    w->referenced = true;
    eddy__loop_ref(w->loop);
}

int eddy_signal_signum(const eddy_signal *w)
{
    return w ? w->signum : 0;
}
#endif
