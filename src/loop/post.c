/* eddy_loop_post: the one thread-safe call. Posts are queued under a mutex and the loop
 * is woken through an eventfd (a pipe where there is no eventfd). Only the first post
 * after the loop drained the queue writes to the fd: a burst of posts costs one wakeup.
 *
 * The wakeup descriptor is made by the first post, not with the loop: most loops never
 * post, and firmware counts its descriptors. The first post may come from any thread
 * while the loop waits, so the descriptor is registered with the backend at once by the
 * posting thread (eddy__backend_watch_now), under the post lock: of two threads posting
 * first at the same time, one makes it and the other finds it made (epoll and kqueue).
 * The poll backend's array belongs to the loop thread, and a thread cannot wake a
 * poll(2) that does not watch a descriptor of its own: there the loop makes the
 * descriptor when it is created, as libuv does for every backend. The loop thread reads
 * the descriptor only after its event arrived, which the kernel orders after the
 * registration. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <unistd.h>

#include "backend.h"
#include "common/alloc.h"
#include "loop_internal.h"
#include "wakeup.h"

/* EDDY_NO_POST (eddy/config.h): eddy_loop_post fails with -ENOSYS. The wakeup itself
 * stays while the resolver needs it (its workers post their results); without both, a
 * loop has no wakeup descriptor at all. */
#if defined(EDDY_NO_POST) && defined(EDDY_NO_RESOLVER)
#define EDDY__NO_WAKEUP 1
#endif

enum { POST_RETRY_MS = 50 };

#ifdef EDDY__NO_WAKEUP
int eddy__post_init(eddy_loop *loop)
{
    (void)loop;
    return 0;
}

void eddy__post_free(eddy_loop *loop)
{
    (void)loop;
}

bool eddy__post_alive(eddy_loop *loop)
{
    (void)loop;
    return false;
}
#else
static void post_retry_register(void *arg)
{
    eddy_loop *loop = arg;
    eddy__io_start(&loop->post_io, EDDY__READABLE);
}

static void post_drain(eddy__io *io, unsigned revents)
{
    eddy_loop *loop = io->loop;
    if (revents & EDDY__IO_FAILED) {
        /* The wakeup fd could not be registered (the kernel is short of memory): try
         * again in a moment. Until then posts wait for the timer's wakeup, never lost. */
        io->registered = 0;
        io->events = 0;
        eddy__timer_start(&loop->post_retry, POST_RETRY_MS * 1000000u, post_retry_register, loop);
    }
    uint64_t buf[8];
    /* Consume the wakeup first, then take the queue and clear the flag together under
     * the lock. A post that lands after the take sees the flag clear and wakes the loop
     * again; one that landed before is in the batch. (Clearing the flag before the read
     * loses wakeups: a post could set it, have its write consumed by our read, and leave
     * it set for a later post whose item misses the batch.) */
    while (read(loop->post_fd_read, buf, sizeof buf) > 0) {
        if (loop->post_fd_read == loop->post_fd_write)
            break; /* an eventfd resets with one read */
    }
    eddy__queue batch;
    eddy__queue_init(&batch);
    pthread_mutex_lock(&loop->post_lock);
    eddy__queue_move(&loop->posts, &batch);
    atomic_store(&loop->post_signaled, 0);
    pthread_mutex_unlock(&loop->post_lock);
    while (!eddy__queue_empty(&batch)) {
        eddy__post *p = EDDY__CONTAINER_OF(batch.next, eddy__post, node);
        eddy__queue_remove(&p->node);
        void (*fn)(void *) = p->fn;
        void *arg = p->arg;
        if (p->owned)
            eddy__free(p); /* an embedded node belongs to its owner, which fn may free */
        atomic_fetch_sub(&loop->posts_pending, 1);
        fn(arg);
    }
}

/* Makes the wakeup descriptor and registers it: with the post lock held, or on the loop
 * thread before any other thread can post. 0 or -errno (and no descriptor). */
static int post_wakeup_open(eddy_loop *loop)
{
    int fds[2];
    int err = eddy__wakeup_open(fds);
    if (err < 0)
        return err;
    /* Not a handle: an idle loop with nothing posted may end. */
    eddy__io_init(&loop->post_io, loop, fds[0], post_drain);
#if EDDY__BACKEND_WATCH_ANY_THREAD
    err = eddy__backend_watch_now(loop, &loop->post_io, EDDY__READABLE);
    if (err < 0) {
        loop->post_io.fd = -1;
        eddy__wakeup_close(fds[0], fds[1]);
        return err;
    }
#else
    eddy__io_start(&loop->post_io, EDDY__READABLE);
#endif
    loop->post_fd_read = fds[0];
    loop->post_fd_write = fds[1];
    return 0;
}

int eddy__post_init(eddy_loop *loop)
{
    int err = pthread_mutex_init(&loop->post_lock, NULL);
    if (err)
        return -err;
    loop->post_fd_read = loop->post_fd_write = -1;
    eddy__io_init(&loop->post_io, loop, -1, post_drain);
    eddy__queue_init(&loop->posts);
    atomic_init(&loop->posts_pending, 0);
    atomic_init(&loop->post_signaled, 0);
    eddy__timer_init(&loop->post_retry, loop);
    eddy__timer_set_ref(&loop->post_retry, false);
#if !EDDY__BACKEND_WATCH_ANY_THREAD
    err = post_wakeup_open(loop);
    if (err < 0) {
        pthread_mutex_destroy(&loop->post_lock);
        return err;
    }
#endif
    return 0;
}

int eddy__post_prepare(eddy_loop *loop)
{
    pthread_mutex_lock(&loop->post_lock);
    int err = loop->post_fd_read >= 0 ? 0 : post_wakeup_open(loop);
    pthread_mutex_unlock(&loop->post_lock);
    return err;
}

void eddy__post_free(eddy_loop *loop)
{
    eddy__timer_stop(&loop->post_retry);
    eddy__io_close(&loop->post_io);
    while (!eddy__queue_empty(&loop->posts)) {
        eddy__post *p = EDDY__CONTAINER_OF(loop->posts.next, eddy__post, node);
        eddy__queue_remove(&p->node);
        if (p->owned)
            eddy__free(p);
    }
    pthread_mutex_destroy(&loop->post_lock);
    if (loop->post_fd_read >= 0)
        eddy__wakeup_close(loop->post_fd_read, loop->post_fd_write);
}

bool eddy__post_alive(eddy_loop *loop)
{
    return atomic_load(&loop->posts_pending) > 0;
}
#endif

#ifndef EDDY__NO_WAKEUP
static int post_enqueue(eddy_loop *loop, eddy__post *p);
#endif

int eddy_loop_post(eddy_loop *loop, void (*fn)(void *arg), void *arg)
{
    if (!loop || !fn)
        return -EINVAL;
#ifdef EDDY_NO_POST
    (void)arg;
    return -ENOSYS;
#else
    eddy__post *p = eddy__malloc(sizeof *p);
    if (!p)
        return -ENOMEM;
    p->fn = fn;
    p->arg = arg;
    p->owned = true;
    int err = post_enqueue(loop, p);
    if (err < 0)
        eddy__free(p);
    return err;
#endif
}

#ifndef EDDY__NO_WAKEUP
void eddy__post_embedded(eddy_loop *loop, eddy__post *p)
{
    p->owned = false;
    /* The owner called eddy__post_prepare before it could post: this cannot fail. */
    (void)post_enqueue(loop, p);
}

static int post_enqueue(eddy_loop *loop, eddy__post *p)
{
    pthread_mutex_lock(&loop->post_lock);
    if (loop->post_fd_read < 0) {
        int err = post_wakeup_open(loop);
        if (err < 0) {
            pthread_mutex_unlock(&loop->post_lock);
            return err;
        }
    }
    int wake_fd = loop->post_fd_write;
    eddy__queue_insert_tail(&loop->posts, &p->node);
    atomic_fetch_add(&loop->posts_pending, 1);
    bool wake = atomic_exchange(&loop->post_signaled, 1) == 0;
    pthread_mutex_unlock(&loop->post_lock);
    if (wake) {
        uint64_t one = 1;
        ssize_t n;
        do
            n = write(wake_fd, &one, sizeof one);
        while (n < 0 && errno == EINTR);
        /* EAGAIN: the counter or pipe is full, so the loop is already due to wake. */
    }
    return 0;
}
#endif
