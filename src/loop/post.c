/* eddy_loop_post: the one thread-safe call. Posts are queued under a mutex and the loop
 * is woken through an eventfd (a pipe where there is no eventfd). Only the first post
 * after the loop drained the queue writes to the fd: a burst of posts costs one wakeup. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "common/alloc.h"
#include "loop_internal.h"

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

int eddy__post_init(eddy_loop *loop)
{
    int fds[2];
#ifdef __linux__
    fds[0] = fds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fds[0] < 0)
        return -errno;
#else
    if (pipe(fds) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    }
#endif
    int err = pthread_mutex_init(&loop->post_lock, NULL);
    if (err) {
        close(fds[0]);
        if (fds[1] != fds[0])
            close(fds[1]);
        return -err;
    }
    loop->post_fd_read = fds[0];
    loop->post_fd_write = fds[1];
    eddy__queue_init(&loop->posts);
    atomic_init(&loop->posts_pending, 0);
    atomic_init(&loop->post_signaled, 0);
    /* Not a handle: an idle loop with nothing posted may end. */
    eddy__io_init(&loop->post_io, loop, fds[0], post_drain);
    eddy__timer_init(&loop->post_retry, loop);
    eddy__timer_set_ref(&loop->post_retry, false);
    eddy__io_start(&loop->post_io, EDDY__READABLE);
    return 0;
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
    close(loop->post_fd_read);
    if (loop->post_fd_write != loop->post_fd_read)
        close(loop->post_fd_write);
}

bool eddy__post_alive(eddy_loop *loop)
{
    return atomic_load(&loop->posts_pending) > 0;
}
#endif

#ifndef EDDY__NO_WAKEUP
static void post_enqueue(eddy_loop *loop, eddy__post *p);
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
    post_enqueue(loop, p);
    return 0;
#endif
}

#ifndef EDDY__NO_WAKEUP
void eddy__post_embedded(eddy_loop *loop, eddy__post *p)
{
    p->owned = false;
    post_enqueue(loop, p);
}

static void post_enqueue(eddy_loop *loop, eddy__post *p)
{
    pthread_mutex_lock(&loop->post_lock);
    eddy__queue_insert_tail(&loop->posts, &p->node);
    atomic_fetch_add(&loop->posts_pending, 1);
    bool wake = atomic_exchange(&loop->post_signaled, 1) == 0;
    pthread_mutex_unlock(&loop->post_lock);
    if (wake) {
        uint64_t one = 1;
        ssize_t n;
        do
            n = write(loop->post_fd_write, &one, sizeof one);
        while (n < 0 && errno == EINTR);
        /* EAGAIN: the counter or pipe is full, so the loop is already due to wake. */
    }
}
#endif
