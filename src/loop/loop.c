/* The reactor: one iteration is timers, pending calls, I/O, immediates, then the release
 * of objects that closed (the one place where memory of live objects is freed, so no
 * callback of the iteration can see a freed object). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "backend.h"
#include "common/alloc.h"
#include "loop_internal.h"

uint64_t eddy__clock_ns(void)
{
    return eddy__clock_ns_inline();
}

/* The defaults and limits of eddy_loop_options (include/eddy/loop.h says why each). */
enum {
    READ_BUFFER_DEFAULT = 64 * 1024,
    READ_BUFFER_MAX = 16 * 1024 * 1024,
    IO_EVENTS_DEFAULT = 32,
    IO_EVENTS_MAX_DEFAULT = 1024,
    IO_EVENTS_LIMIT = 65536,
    TIMER_SLOTS_DEFAULT = 64,
    TIMER_SLOTS_LIMIT = 1 << 24,
};

void eddy_loop_options_init(eddy_loop_options *opts)
{
    if (!opts)
        return;
    opts->read_buffer_size = READ_BUFFER_DEFAULT;
    opts->io_events = IO_EVENTS_DEFAULT;
    opts->io_events_max = IO_EVENTS_MAX_DEFAULT;
    opts->timer_slots = TIMER_SLOTS_DEFAULT;
}

/* Fills in the defaults of *out from in (NULL: all defaults); -EINVAL for a field out of
 * its range. */
static int options_resolve(const eddy_loop_options *in, eddy_loop_options *out)
{
    eddy_loop_options zero = {0};
    if (!in)
        in = &zero;
    if (in->read_buffer_size > READ_BUFFER_MAX || in->io_events > IO_EVENTS_LIMIT ||
        in->io_events_max > IO_EVENTS_LIMIT || in->timer_slots > TIMER_SLOTS_LIMIT)
        return -EINVAL;
    out->read_buffer_size = in->read_buffer_size ? in->read_buffer_size : READ_BUFFER_DEFAULT;
    out->io_events = in->io_events ? in->io_events : IO_EVENTS_DEFAULT;
    if (in->io_events_max)
        out->io_events_max = in->io_events_max;
    else
        out->io_events_max =
            out->io_events > IO_EVENTS_MAX_DEFAULT ? out->io_events : IO_EVENTS_MAX_DEFAULT;
    if (out->io_events_max < out->io_events)
        return -EINVAL;
    out->timer_slots = in->timer_slots ? in->timer_slots : TIMER_SLOTS_DEFAULT;
    return 0;
}

eddy_loop *eddy_loop_new_ex(const eddy_loop_options *opts, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    eddy_loop_options resolved;
    *err = options_resolve(opts, &resolved);
    if (*err < 0)
        return NULL;
    eddy_loop *loop = eddy__calloc(1, sizeof *loop);
    if (!loop) {
        *err = -ENOMEM;
        return NULL;
    }
    loop->opts = resolved;
    eddy__queue_init(&loop->immediates);
    eddy__queue_init(&loop->changes);
    eddy__queue_init(&loop->pending);
    eddy__queue_init(&loop->releases);
    eddy__queue_init(&loop->closers);
    *err = eddy__backend_init(loop);
    if (*err < 0) {
        eddy__free(loop);
        return NULL;
    }
    *err = eddy__post_init(loop);
    if (*err < 0) {
        eddy__backend_free(loop);
        eddy__free(loop);
        return NULL;
    }
    eddy__loop_update_time(loop);
    loop->iteration = 1; /* a socket's "last direct write" starts at 0: before any */
    return loop;
}

eddy_loop *eddy_loop_new_with(const eddy_loop_options *opts)
{
    return eddy_loop_new_ex(opts, NULL);
}

eddy_loop *eddy_loop_new(void)
{
    return eddy_loop_new_ex(NULL, NULL);
}

int eddy_loop_free(eddy_loop *loop)
{
    if (!loop)
        return 0;
    if (loop->running || loop->handles > 0)
        return -EBUSY;
    /* Objects that closed during the last iteration may still wait for release. */
    while (!eddy__queue_empty(&loop->releases)) {
        eddy__queue *q = loop->releases.next;
        eddy__queue_remove(q);
        eddy__deferred *d = EDDY__CONTAINER_OF(q, eddy__deferred, node);
        d->fn(d);
    }
    /* The resolver's threads are joined first: a worker's last post must be over before
     * the post queue and its wakeup fd go. */
    if (loop->resolver_free)
        loop->resolver_free(loop);
    eddy__signals_free(loop);
    eddy__post_free(loop);
    eddy__timers_free(loop);
    for (unsigned i = 0; i < 2; i++)
        eddy__free(loop->scratch[i].ptr);
    eddy__backend_free(loop);
    eddy__free(loop);
    return 0;
}

uint64_t eddy_loop_now(const eddy_loop *loop)
{
    return loop ? loop->now_ns / 1000000u : 0;
}

const char *eddy_loop_backend(const eddy_loop *loop)
{
    (void)loop;
    return eddy__backend_name();
}

void eddy_loop_stop(eddy_loop *loop)
{
    if (loop)
        loop->stop_requested = true;
}

void eddy_loop_on_uncaught_error(eddy_loop *loop, eddy_listener fn, void *ctx)
{
    if (!loop)
        return;
    loop->uncaught_fn = fn;
    loop->uncaught_ctx = fn ? ctx : NULL;
}

void eddy__loop_uncaught(const eddy_loop *loop, eddy_listener *fn, void **ctx)
{
    *fn = loop->uncaught_fn;
    *ctx = loop->uncaught_ctx;
}

void eddy__handle_add(eddy_loop *loop)
{
    loop->handles++;
}

void eddy__handle_remove(eddy_loop *loop)
{
    loop->handles--;
}

void eddy__loop_ref(eddy_loop *loop)
{
    loop->active_refs++;
}

void eddy__loop_unref(eddy_loop *loop)
{
    loop->active_refs--;
}

void *eddy__loop_scratch_grow(eddy_loop *loop, unsigned slot, size_t size)
{
    void *p = eddy__realloc(loop->scratch[slot].ptr, loop->scratch[slot].cap, size);
    if (!p)
        return NULL;
    loop->scratch[slot].ptr = p;
    loop->scratch[slot].cap = size;
    return p;
}

void eddy__closer_link(eddy_loop *loop, eddy__closer *c, void (*close)(eddy__closer *c))
{
    c->close = close;
    eddy__queue_insert_tail(&loop->closers, &c->node);
}

void eddy__closer_unlink(eddy__closer *c)
{
    eddy__queue_remove(&c->node);
}

int eddy_loop_close_all(eddy_loop *loop)
{
    if (!loop)
        return -EINVAL;
    int n = eddy__timers_clear_public(loop);
    /* Each closer is put back on the list before its call, so a close that unlinks it
     * (or others still in the batch) leaves both lists whole. */
    eddy__queue batch;
    eddy__queue_init(&batch);
    eddy__queue_move(&loop->closers, &batch);
    while (!eddy__queue_empty(&batch)) {
        eddy__closer *c = EDDY__CONTAINER_OF(batch.next, eddy__closer, node);
        eddy__queue_remove(&c->node);
        eddy__queue_insert_tail(&loop->closers, &c->node);
        c->close(c);
        n++;
    }
    return n;
}

/* ---- deferred calls ---- */

void eddy__deferred_init(eddy__deferred *d, void (*fn)(eddy__deferred *d))
{
    eddy__queue_init(&d->node);
    d->fn = fn;
}

void eddy__defer(eddy_loop *loop, eddy__deferred *d)
{
    if (eddy__queue_empty(&d->node))
        eddy__queue_insert_tail(&loop->pending, &d->node);
}

void eddy__defer_cancel(eddy__deferred *d)
{
    eddy__queue_remove(&d->node);
}

bool eddy__deferred_queued(const eddy__deferred *d)
{
    return !eddy__queue_empty(&d->node);
}

void eddy__release(eddy_loop *loop, eddy__deferred *d, void (*fn)(eddy__deferred *d))
{
    eddy__queue_remove(&d->node);
    d->fn = fn;
    eddy__queue_insert_tail(&loop->releases, &d->node);
}

/* Runs pending calls until none is left, including those they queue (like Node's
 * nextTick queue). Each node is unlinked before its call, so it may queue itself again. */
static void run_pending_calls(eddy_loop *loop)
{
    while (!eddy__queue_empty(&loop->pending)) {
        eddy__queue *q = loop->pending.next;
        eddy__queue_remove(q);
        eddy__deferred *d = EDDY__CONTAINER_OF(q, eddy__deferred, node);
        d->fn(d);
    }
}

/* Called after every phase: the check is inline, the work out of line. */
static inline void run_pending(eddy_loop *loop)
{
    if (!eddy__queue_empty(&loop->pending))
        run_pending_calls(loop);
}

static void run_releases(eddy_loop *loop)
{
    eddy__queue batch;
    eddy__queue_init(&batch);
    eddy__queue_move(&loop->releases, &batch);
    while (!eddy__queue_empty(&batch)) {
        eddy__queue *q = batch.next;
        eddy__queue_remove(q);
        eddy__deferred *d = EDDY__CONTAINER_OF(q, eddy__deferred, node);
        d->fn(d);
    }
}

/* ---- I/O watchers ---- */

_Static_assert(sizeof(void *) != 8 || sizeof(eddy__io) == 40,
               "a watcher is 40 bytes on LP64, and every socket embeds one: see "
               "loop_internal.h before growing it");

void eddy__io_init(eddy__io *io, eddy_loop *loop, int fd, eddy__io_cb cb)
{
    io->fd = fd;
    io->events = 0;
    io->registered = 0;
    io->cb = cb;
    io->loop = loop;
    io->backend_slot = -1;
    eddy__queue_init(&io->change_node);
}

static void io_changed(eddy__io *io)
{
    if (io->events != io->registered) {
        if (eddy__queue_empty(&io->change_node))
            eddy__queue_insert_tail(&io->loop->changes, &io->change_node);
    } else {
        eddy__queue_remove(&io->change_node);
    }
}

void eddy__io_start(eddy__io *io, unsigned events)
{
    io->events |= events;
    io_changed(io);
}

void eddy__io_stop(eddy__io *io, unsigned events)
{
    io->events &= ~events;
    io_changed(io);
}

void eddy__io_close(eddy__io *io)
{
    eddy_loop *loop = io->loop;
    if (io->fd < 0)
        return;
    eddy__backend_forget(loop, io);
    eddy__queue_remove(&io->change_node);
    /* The current batch may still hold events for this watcher (closed by a callback
     * earlier in the batch). Drop them: the owner may reuse the watcher for a new fd
     * before the batch is over, and the old events must not reach it. */
    for (int i = 0; i < loop->fired_len; i++)
        if (loop->fired[i].io == io)
            loop->fired[i].io = NULL;
    io->fd = -1;
    io->events = 0;
    io->registered = 0;
}

const char *eddy__io_failed_call(void)
{
    return eddy__backend_update_call;
}

/* Gives the backend every queued change. A rejected change fails its own watcher only
 * (a change kept queued for a retry made every later turn fail before the wait, and
 * wedged every other socket of the loop). The owner hears of it at once and closes its
 * watcher; changes made by its listeners are applied in the same pass, before the wait. */
static void apply_changes(eddy_loop *loop)
{
    while (!eddy__queue_empty(&loop->changes)) {
        eddy__queue *q = loop->changes.next;
        eddy__queue_remove(q);
        eddy__io *io = EDDY__CONTAINER_OF(q, eddy__io, change_node);
        int err = eddy__backend_update(loop, io);
        if (err == 0) {
            io->registered = io->events;
            continue;
        }
        io->cb(io, eddy__io_failure(err));
        run_pending(loop);
    }
}

static void dispatch_io(eddy_loop *loop)
{
    for (int i = 0; i < loop->fired_len; i++) {
        eddy__io *io = loop->fired[i].io;
        if (!io || io->fd < 0)
            continue; /* closed earlier in this batch */
        /* An event the owner stopped wanting earlier in the batch is stale. Errors are
         * reported as both directions, so one wanted direction is enough. A failure
         * (EDDY__IO_FAILED and the error above it, never a direction bit: see
         * eddy__io_failure) passes whole, as the mask keeps every bit above the
         * directions: one OR where a test of the failure bit and its branch were, which
         * pays for the byte load of events (a bit-field since eddy__io shrank). */
        unsigned revents = loop->fired[i].revents;
        revents &= io->events | ~(unsigned)(EDDY__READABLE | EDDY__WRITABLE);
        if (revents)
            io->cb(io, revents);
        run_pending(loop);
    }
    loop->fired_len = 0;
}

/* ---- running ---- */

static bool loop_alive(eddy_loop *loop)
{
    return loop->active_refs > 0 || !eddy__queue_empty(&loop->pending) ||
           !eddy__queue_empty(&loop->releases) || eddy__post_alive(loop);
}

/* Cheapest tests first: a busy I/O loop has references and no timer, and gets -1 after
 * the queue tests. */
static int poll_timeout_ms(eddy_loop *loop, eddy_run_mode mode)
{
    if (mode == EDDY_RUN_NOWAIT || loop->stop_requested || !eddy__queue_empty(&loop->immediates) ||
        !eddy__queue_empty(&loop->pending) || !eddy__queue_empty(&loop->releases) ||
        !loop_alive(loop))
        return 0;
    if (loop->heap_len == 0)
        return -1;
    uint64_t ns = eddy__timers_next_ns(loop);
    /* Round up: waking before the deadline would only spin, and a timer never fires
     * early anyway because its deadline is compared with the clock. */
    uint64_t ms = (ns + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int eddy_loop_run(eddy_loop *loop, eddy_run_mode mode)
{
    if (!loop || (mode != EDDY_RUN_DEFAULT && mode != EDDY_RUN_ONCE && mode != EDDY_RUN_NOWAIT))
        return -EINVAL;
    if (loop->running)
        return -EBUSY;
    loop->running = true;
    int err = 0;
    eddy__loop_update_time(loop);
    bool alive = loop_alive(loop);
    if (!alive)
        run_releases(loop);
    while (alive && !loop->stop_requested) {
        loop->iteration++;
        /* The clock is read after every wait; before the timers and the wait only when
         * timers exist (callbacks since the last read may have made some due, and the
         * wait's timeout must not oversleep). An I/O-only turn reads it once. */
        if (loop->heap_len) {
            eddy__loop_update_time(loop);
            eddy__timers_run(loop);
            run_pending(loop);
        }

        if (!eddy__queue_empty(&loop->changes))
            apply_changes(loop);
        if (loop->heap_len)
            eddy__loop_update_time(loop);
        err = eddy__backend_poll(loop, poll_timeout_ms(loop, mode));
        if (err < 0)
            break;
        eddy__loop_update_time(loop);
        dispatch_io(loop);
        run_pending(loop);

        if (mode != EDDY_RUN_DEFAULT) {
            /* A single turn should fire what became due while it waited. */
            eddy__timers_run(loop);
            run_pending(loop);
        }
        /* Empty phases cost a test each, not a call. */
        if (!eddy__queue_empty(&loop->immediates)) {
            eddy__immediates_run(loop);
            run_pending(loop);
        }
        if (!eddy__queue_empty(&loop->releases))
            run_releases(loop);

        alive = loop_alive(loop);
        if (mode != EDDY_RUN_DEFAULT)
            break;
    }
    loop->stop_requested = false;
    loop->running = false;
    if (err < 0)
        return err;
    return loop_alive(loop) ? 1 : 0;
}
