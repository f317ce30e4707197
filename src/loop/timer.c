/* Timers: a binary min-heap of pointers ordered by (deadline, set order), each timer
 * knowing its heap slot, so insert and cancel are O(log n) and the next deadline is O(1).
 * Deadlines are in ns on the monotonic clock, taken from a fresh clock read when the
 * timer is set: a timer never fires before its full delay has passed, however long the
 * current iteration has been running. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>

#include "common/alloc.h"
#include "loop_internal.h"

enum {
    TIMER_REF = 1,       /* keeps the loop alive while pending */
    TIMER_PUBLIC = 2,    /* allocated by eddy_set_*: freed after firing or clearing */
    TIMER_IMMEDIATE = 4, /* queued on loop->immediates, not in the heap */
    TIMER_QUEUED_IMM = 8,
    TIMER_RUNNING = 16, /* its callback is on the stack */
    TIMER_CLEARED = 32  /* cleared from inside its callback: free when it returns */
};

static bool timer_before(const struct eddy_timer *a, const struct eddy_timer *b)
{
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->seq < b->seq);
}

static void heap_place(eddy_loop *loop, struct eddy_timer *t, uint32_t i)
{
    loop->heap[i] = t;
    t->heap_index = i;
}

static void heap_sift_up(eddy_loop *loop, uint32_t i)
{
    struct eddy_timer *t = loop->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!timer_before(t, loop->heap[parent]))
            break;
        heap_place(loop, loop->heap[parent], i);
        i = parent;
    }
    heap_place(loop, t, i);
}

static void heap_sift_down(eddy_loop *loop, uint32_t i)
{
    struct eddy_timer *t = loop->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && timer_before(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop->heap[child], t))
            break;
        heap_place(loop, loop->heap[child], i);
        i = child;
    }
    heap_place(loop, t, i);
}

static int heap_reserve(eddy_loop *loop)
{
    if (loop->heap_len < loop->heap_cap)
        return 0;
    /* The first timer brings the timer_slots option's room; then the heap doubles. */
    uint32_t cap = loop->heap_cap ? loop->heap_cap * 2 : loop->opts.timer_slots;
    if (cap <= loop->heap_cap || cap >= EDDY__TIMER_NOT_QUEUED)
        return -ENOMEM;
    struct eddy_timer **heap =
        eddy__realloc(loop->heap, loop->heap_cap * sizeof *heap, cap * sizeof *heap);
    if (!heap)
        return -ENOMEM;
    loop->heap = heap;
    loop->heap_cap = cap;
    return 0;
}

static void heap_remove(eddy_loop *loop, struct eddy_timer *t)
{
    uint32_t i = t->heap_index;
    uint32_t last = --loop->heap_len;
    t->heap_index = EDDY__TIMER_NOT_QUEUED;
    if (i == last)
        return;
    heap_place(loop, loop->heap[last], i);
    if (i > 0 && timer_before(loop->heap[i], loop->heap[(i - 1) / 2]))
        heap_sift_up(loop, i);
    else
        heap_sift_down(loop, i);
}

bool eddy__timer_active(const struct eddy_timer *t)
{
    return t->heap_index != EDDY__TIMER_NOT_QUEUED || (t->flags & TIMER_QUEUED_IMM);
}

void eddy__timer_init(struct eddy_timer *t, eddy_loop *loop)
{
    t->deadline_ns = 0;
    t->seq = 0;
    t->interval_ns = 0;
    t->fn = NULL;
    t->arg = NULL;
    t->loop = loop;
    t->heap_index = EDDY__TIMER_NOT_QUEUED;
    t->flags = TIMER_REF;
}

void eddy__timer_stop(struct eddy_timer *t)
{
    if (!eddy__timer_active(t))
        return;
    if (t->flags & TIMER_REF)
        eddy__loop_unref(t->loop);
    if (t->flags & TIMER_QUEUED_IMM) {
        eddy__queue_remove(&t->immediate_node);
        t->flags &= ~TIMER_QUEUED_IMM;
    } else {
        heap_remove(t->loop, t);
    }
}

int eddy__timer_start_at(struct eddy_timer *t, uint64_t deadline_ns, void (*fn)(void *), void *arg)
{
    eddy_loop *loop = t->loop;
    eddy__timer_stop(t);
    if (heap_reserve(loop) < 0)
        return -ENOMEM;
    t->fn = fn;
    t->arg = arg;
    t->deadline_ns = deadline_ns;
    t->seq = loop->timer_seq++;
    loop->heap[loop->heap_len] = t;
    t->heap_index = loop->heap_len++;
    heap_sift_up(loop, t->heap_index);
    if (t->flags & TIMER_REF)
        eddy__loop_ref(loop);
    return 0;
}

int eddy__timer_start(struct eddy_timer *t, uint64_t delay_ns, void (*fn)(void *), void *arg)
{
    return eddy__timer_start_at(t, eddy__clock_ns() + delay_ns, fn, arg);
}

void eddy__timer_set_ref(struct eddy_timer *t, bool ref)
{
    bool was = t->flags & TIMER_REF;
    if (was == ref)
        return;
    if (eddy__timer_active(t)) {
        if (ref)
            eddy__loop_ref(t->loop);
        else
            eddy__loop_unref(t->loop);
    }
    if (ref)
        t->flags |= TIMER_REF;
    else
        t->flags &= ~TIMER_REF;
}

uint64_t eddy__timers_next_ns(const eddy_loop *loop)
{
    if (loop->heap_len == 0)
        return UINT64_MAX;
    uint64_t deadline = loop->heap[0]->deadline_ns;
    return deadline <= loop->now_ns ? 0 : deadline - loop->now_ns;
}

static void public_timer_release(struct eddy_timer *t)
{
    eddy__handle_remove(t->loop);
    eddy__free(t);
}

/* Runs one timer's callback. Public one-shot timers are released after it unless it
 * re-armed them; a timer cleared inside its callback is released here too. */
static void timer_fire(struct eddy_timer *t)
{
    t->flags |= TIMER_RUNNING;
    t->fn(t->arg);
    t->flags &= ~TIMER_RUNNING;
    if (!(t->flags & TIMER_PUBLIC))
        return;
    if ((t->flags & TIMER_CLEARED) || !eddy__timer_active(t))
        public_timer_release(t);
}

void eddy__timers_run(eddy_loop *loop)
{
    while (loop->heap_len > 0) {
        struct eddy_timer *t = loop->heap[0];
        if (t->deadline_ns > loop->now_ns)
            break;
        if (t->interval_ns) {
            /* Schedule from the previous deadline, not from now, so the period does not
             * drift; skip the ticks that a blocked loop missed instead of bunching them. */
            uint64_t next = t->deadline_ns + t->interval_ns;
            if (next <= loop->now_ns)
                next += ((loop->now_ns - next) / t->interval_ns + 1) * t->interval_ns;
            t->deadline_ns = next;
            t->seq = loop->timer_seq++;
            heap_sift_down(loop, 0);
        } else {
            heap_remove(loop, t);
            if (t->flags & TIMER_REF)
                eddy__loop_unref(loop);
        }
        timer_fire(t);
    }
}

bool eddy__immediates_run(eddy_loop *loop)
{
    /* Only the immediates queued before this pass run in it: one set from an immediate
     * waits for the next iteration. */
    eddy__queue batch;
    eddy__queue_init(&batch);
    eddy__queue_move(&loop->immediates, &batch);
    bool ran = false;
    while (!eddy__queue_empty(&batch)) {
        struct eddy_timer *t = EDDY__CONTAINER_OF(batch.next, struct eddy_timer, immediate_node);
        eddy__queue_remove(&t->immediate_node);
        t->flags &= ~TIMER_QUEUED_IMM;
        if (t->flags & TIMER_REF)
            eddy__loop_unref(loop);
        timer_fire(t);
        ran = true;
    }
    return ran;
}

int eddy__timers_clear_public(eddy_loop *loop)
{
    /* Clearing one by one would move heap entries under the walk; filter the array
     * instead, then rebuild the heap in O(n) (Floyd). Set order (seq) is kept, so the
     * timers that stay fire as before. */
    int n = 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < loop->heap_len; i++) {
        struct eddy_timer *t = loop->heap[i];
        if (!(t->flags & TIMER_PUBLIC) || (t->flags & TIMER_CLEARED)) {
            loop->heap[kept++] = t;
            continue;
        }
        t->heap_index = EDDY__TIMER_NOT_QUEUED;
        if (t->flags & TIMER_REF)
            eddy__loop_unref(loop);
        n++;
        if (t->flags & TIMER_RUNNING)
            t->flags |= TIMER_CLEARED; /* an interval inside its own callback */
        else
            public_timer_release(t);
    }
    loop->heap_len = kept;
    for (uint32_t i = 0; i < kept; i++)
        loop->heap[i]->heap_index = i;
    for (uint32_t i = kept / 2; i-- > 0;)
        heap_sift_down(loop, i);
    /* Immediates: all are public. */
    eddy__queue batch;
    eddy__queue_init(&batch);
    eddy__queue_move(&loop->immediates, &batch);
    while (!eddy__queue_empty(&batch)) {
        struct eddy_timer *t = EDDY__CONTAINER_OF(batch.next, struct eddy_timer, immediate_node);
        eddy__queue_remove(&t->immediate_node);
        t->flags &= ~TIMER_QUEUED_IMM;
        if (t->flags & TIMER_REF)
            eddy__loop_unref(loop);
        n++;
        if (t->flags & TIMER_RUNNING)
            t->flags |= TIMER_CLEARED;
        else
            public_timer_release(t);
    }
    return n;
}

void eddy__timers_free(eddy_loop *loop)
{
    eddy__free(loop->heap);
    loop->heap = NULL;
    loop->heap_len = loop->heap_cap = 0;
}

/* ---- the public API ---- */

static struct eddy_timer *public_timer_new(eddy_loop *loop, void (*fn)(void *), void *arg)
{
    if (!loop || !fn)
        return NULL;
    struct eddy_timer *t = eddy__malloc(sizeof *t);
    if (!t)
        return NULL;
    eddy__timer_init(t, loop);
    t->flags |= TIMER_PUBLIC;
    t->fn = fn;
    t->arg = arg;
    eddy__handle_add(loop);
    return t;
}

static uint64_t ms_to_ns(uint64_t ms)
{
    return ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2 : ms * 1000000u;
}

static eddy_timer *public_timer_arm(eddy_loop *loop, uint64_t ms, uint64_t interval_ms,
                                    void (*fn)(void *), void *arg)
{
    struct eddy_timer *t = public_timer_new(loop, fn, arg);
    if (!t)
        return NULL;
    t->interval_ns = interval_ms ? ms_to_ns(interval_ms) : 0;
    if (eddy__timer_start(t, ms_to_ns(ms), fn, arg) < 0) {
        public_timer_release(t);
        return NULL;
    }
    return t;
}

eddy_timer *eddy_set_timeout(eddy_loop *loop, uint64_t ms, void (*fn)(void *arg), void *arg)
{
    return public_timer_arm(loop, ms, 0, fn, arg);
}

eddy_timer *eddy_set_interval(eddy_loop *loop, uint64_t ms, void (*fn)(void *arg), void *arg)
{
    if (ms == 0)
        ms = 1; /* as Node: a 0 interval would spin */
    return public_timer_arm(loop, ms, ms, fn, arg);
}

eddy_timer *eddy_set_immediate(eddy_loop *loop, void (*fn)(void *arg), void *arg)
{
    struct eddy_timer *t = public_timer_new(loop, fn, arg);
    if (!t)
        return NULL;
    t->flags |= TIMER_IMMEDIATE | TIMER_QUEUED_IMM;
    eddy__queue_insert_tail(&loop->immediates, &t->immediate_node);
    eddy__loop_ref(loop);
    return t;
}

void eddy_clear_timer(eddy_timer *t)
{
    if (!t || (t->flags & TIMER_CLEARED))
        return;
    eddy__timer_stop(t);
    if (t->flags & TIMER_RUNNING)
        t->flags |= TIMER_CLEARED; /* timer_fire releases it when the callback returns */
    else
        public_timer_release(t);
}

void eddy_timer_unref(eddy_timer *t)
{
    if (t)
        eddy__timer_set_ref(t, false);
}

void eddy_timer_ref(eddy_timer *t)
{
    if (t)
        eddy__timer_set_ref(t, true);
}
