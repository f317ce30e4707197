/* The loop as the rest of the library sees it: I/O watchers embedded in their owners,
 * timers that can be embedded too, and two deferred queues. src/loop knows nothing of
 * sockets or emitters. */
#ifndef EDDY_LOOP_INTERNAL_H
#define EDDY_LOOP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/queue.h"
#include "eddy/emitter.h"
#include "eddy/loop.h"

enum { EDDY__READABLE = 1, EDDY__WRITABLE = 2, EDDY__IO_FAILED = 4 };

/* A watcher whose interest change the backend rejected (epoll_ctl failed: the fd was
 * closed behind the library's back, the kernel is out of memory...) gets one call of its
 * cb with revents EDDY__IO_FAILED and the error packed in the high bits; read it with
 * eddy__io_error. The change is not retried: the owner reports the error and closes the
 * watcher, and only that owner fails, the loop goes on. It carries no direction bit (and
 * a backend's other revents carry nothing but directions): the loop's dispatch masks the
 * directions alone with what the owner wants, and passes the rest untouched. */
static inline unsigned eddy__io_failure(int err)
{
    return EDDY__IO_FAILED | ((unsigned)-err << 8);
}
static inline int eddy__io_error(unsigned revents)
{
    return -(int)(revents >> 8);
}

typedef struct eddy__io eddy__io;

/* The largest backend_slot (below): the poll backend watches at most this many fds plus
 * one, and refuses more with -EMFILE. */
#define EDDY__IO_SLOT_MAX ((1 << 21) - 1)
_Static_assert((EDDY__READABLE | EDDY__WRITABLE) < 4, "eddy__io.registered holds them in 2 bits");
typedef void (*eddy__io_cb)(eddy__io *io, unsigned revents);

/* A file descriptor watched for readiness. Embedded in its owner; the loop never frees
 * it. revents given to cb are EDDY__READABLE/EDDY__WRITABLE; an error or hang-up on the
 * fd reports both, so that the owner's next read or write sees the error.
 * 40 bytes on LP64 (it was 48, with a full word for each of events, registered and
 * backend_slot): the three share the word after fd, as each socket embeds one. events is
 * a whole byte, read with one plain load where the loop dispatches each event; registered
 * and the slot are only touched when the interest changes. */
struct eddy__io {
    int fd;                   /* -1 once closed */
    unsigned events : 8;      /* what the owner wants now (EDDY__READABLE | EDDY__WRITABLE) */
    unsigned registered : 2;  /* what the backend was last told */
    signed backend_slot : 22; /* the backend's own bookkeeping (poll: index in its array,
                               * -1 when not in it; hence EDDY__IO_SLOT_MAX) */
    eddy__io_cb cb;
    eddy_loop *loop;
    eddy__queue change_node; /* queued while events != registered */
};

/* A timer. Public timers are allocated; the library embeds its own (socket idle timers,
 * retries) and starts/stops them with the eddy__timer_* calls. */
struct eddy_timer {
    /* A timer is either in the heap or on the immediates queue, never both. */
    union {
        struct {
            uint64_t deadline_ns;
            uint64_t seq; /* set order: breaks ties between equal deadlines */
        };
        eddy__queue immediate_node;
    };
    uint64_t interval_ns; /* 0: a timeout */
    void (*fn)(void *arg);
    void *arg;
    eddy_loop *loop;
    uint32_t heap_index; /* EDDY__TIMER_NOT_QUEUED when not in the heap */
    uint8_t flags;
};

#define EDDY__TIMER_NOT_QUEUED UINT32_MAX

/* A deferred call: runs fn(node) on the loop thread, soon. Embedded in its owner. */
typedef struct eddy__deferred {
    eddy__queue node;
    void (*fn)(struct eddy__deferred *d);
} eddy__deferred;

typedef struct eddy__backend_state eddy__backend_state;

/* Something the loop closes in eddy_loop_close_all: a node embedded in its owner. */
typedef struct eddy__closer {
    eddy__queue node;
    void (*close)(struct eddy__closer *c);
} eddy__closer;

struct eddy__signals;

typedef struct {
    eddy__io *io;
    unsigned revents;
} eddy__fired;

struct eddy_loop {
    uint64_t now_ns; /* monotonic, read at the start of each phase */
    eddy__backend_state *backend;
    int backend_fd; /* the epoll or kqueue fd, for eddy__backend_watch_now from any thread
                     * (the state moves when its event array grows) */
    /* The eddy_loop_options it was made with, every field checked and set (no 0). */
    eddy_loop_options opts;

    /* timers: a binary min-heap ordered by (deadline_ns, seq) */
    struct eddy_timer **heap;
    uint32_t heap_len, heap_cap;
    uint64_t timer_seq;
    eddy__queue immediates;

    eddy__queue changes;  /* io watchers whose interest changed this iteration */
    eddy__queue pending;  /* deferred calls: run after each phase, like nextTick */
    eddy__queue releases; /* deferred calls that free memory: run at the very end */

    eddy__fired *fired; /* the batch being dispatched */
    int fired_len, fired_cap;

    uint64_t iteration; /* counts the turns of the loop */
    size_t active_refs; /* referenced live handles: keep DEFAULT running */
    size_t handles;     /* all live handles (timers, servers, sockets): -EBUSY for free */
    bool stop_requested;
    bool running;

    /* eddy_loop_post */
    pthread_mutex_t post_lock;
    eddy__queue posts;
    atomic_size_t posts_pending;
    atomic_int post_signaled;
    int post_fd_read, post_fd_write; /* eventfd: the same fd twice; -1 until a post */
    eddy__io post_io;
    struct eddy_timer post_retry; /* registering post_io again after a failure */

    /* The name-resolution worker pool (src/net/resolve.c), started on first use. The loop
     * only stops it when it is freed (no request can be in flight then: each request is
     * a handle until its completion ran on the loop). */
    void *resolver;
    void (*resolver_free)(eddy_loop *loop);

    eddy_listener uncaught_fn;
    void *uncaught_ctx;
    eddy_diagnostic_fn diag_fn; /* eddy_loop_on_diagnostic (src/net/address.c) */
    void *diag_ctx;

    eddy__queue closers; /* eddy__closer: what eddy_loop_close_all closes */
#ifndef EDDY_NO_SIGNALS
    struct eddy__signals *signals; /* signal.c, made by the first watcher */
#endif

    /* Buffers lent to the layers above for the span of one callback (the read buffer
     * every socket of the loop shares, decoded text). */
    struct {
        void *ptr;
        size_t cap;
    } scratch[2];
};

/* the monotonic clock, read now */
uint64_t eddy__clock_ns(void);
static inline uint64_t eddy__clock_ns_inline(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* Once per turn and phase: inline, straight to the vDSO. */
static inline void eddy__loop_update_time(eddy_loop *loop)
{
    loop->now_ns = eddy__clock_ns_inline();
}

/* I/O watchers. Interest changes are queued and given to the backend once per
 * iteration, just before it polls: a socket that asks for writability and gets its
 * queue flushed in the same iteration costs no syscall. */
void eddy__io_init(eddy__io *io, eddy_loop *loop, int fd, eddy__io_cb cb);
void eddy__io_start(eddy__io *io, unsigned events);
void eddy__io_stop(eddy__io *io, unsigned events);
/* Forgets the fd (deregistered at once) before the owner closes it. Events for it that
 * are still in the current batch are dropped. */
void eddy__io_close(eddy__io *io);

/* The call a failed interest change names in the owner's 'error' ("epoll_ctl", "kevent",
 * "poll"). */
const char *eddy__io_failed_call(void);

/* Embedded timers (also used by the public ones). */
void eddy__timer_init(struct eddy_timer *t, eddy_loop *loop);
/* Schedules (or reschedules) fn(arg) at now + delay_ns (fresh clock). Referenced unless
 * unref was called. 0 or -ENOMEM. */
int eddy__timer_start(struct eddy_timer *t, uint64_t delay_ns, void (*fn)(void *), void *arg);
/* Schedules at an absolute deadline on the eddy__clock_ns() scale. */
int eddy__timer_start_at(struct eddy_timer *t, uint64_t deadline_ns, void (*fn)(void *), void *arg);
void eddy__timer_stop(struct eddy_timer *t);
bool eddy__timer_active(const struct eddy_timer *t);
void eddy__timer_set_ref(struct eddy_timer *t, bool ref);
void eddy__timers_run(eddy_loop *loop);
bool eddy__immediates_run(eddy_loop *loop); /* true if any ran */
/* ns until the next referenced-or-not timer, UINT64_MAX when none */
uint64_t eddy__timers_next_ns(const eddy_loop *loop);
void eddy__timers_free(eddy_loop *loop);

/* Handle accounting, for the owners of I/O (servers and sockets). */
void eddy__handle_add(eddy_loop *loop);    /* a new live object */
void eddy__handle_remove(eddy_loop *loop); /* it is gone */
void eddy__loop_ref(eddy_loop *loop);
void eddy__loop_unref(eddy_loop *loop);

/* Runs d->fn(d) soon on the loop thread (after the current callback's phase). Queuing a
 * node that is already queued does nothing. */
void eddy__defer(eddy_loop *loop, eddy__deferred *d);
void eddy__defer_cancel(eddy__deferred *d);
bool eddy__deferred_queued(const eddy__deferred *d);
/* Runs fn(d) at the end of the iteration, after every callback: where objects die.
 * d (unqueued from the pending calls) is reused, with fn as its new function. */
void eddy__release(eddy_loop *loop, eddy__deferred *d, void (*fn)(eddy__deferred *d));
void eddy__deferred_init(eddy__deferred *d, void (*fn)(eddy__deferred *d));

/* The uncaught-error hook of eddy_loop_on_uncaught_error (fn NULL: the default). */
void eddy__loop_uncaught(const eddy_loop *loop, eddy_listener *fn, void **ctx);

/* A buffer of at least size bytes, owned by the loop and valid until the next call
 * with the same slot (0 or 1). NULL on -ENOMEM. Inline: the read path asks once per read.
 * Slot 0 is the read buffer, of loop->opts.read_buffer_size bytes (eddy__loop_read_buffer). */
void *eddy__loop_scratch_grow(eddy_loop *loop, unsigned slot, size_t size);
static inline void *eddy__loop_scratch(eddy_loop *loop, unsigned slot, size_t size)
{
    if (loop->scratch[slot].cap >= size)
        return loop->scratch[slot].ptr;
    return eddy__loop_scratch_grow(loop, slot, size);
}

/* The buffer that sockets with no onread read into, and its size in *cap (the loop's
 * read_buffer_size option): allocated at the first read. NULL on -ENOMEM. */
static inline void *eddy__loop_read_buffer(eddy_loop *loop, size_t *cap)
{
    *cap = loop->opts.read_buffer_size;
    if (loop->scratch[0].ptr)
        return loop->scratch[0].ptr;
    return eddy__loop_scratch_grow(loop, 0, loop->opts.read_buffer_size);
}

/* eddy_loop_close_all calls c->close(c) (which may unlink it) for each linked closer. */
void eddy__closer_link(eddy_loop *loop, eddy__closer *c, void (*close)(eddy__closer *c));
void eddy__closer_unlink(eddy__closer *c);

/* timer.c: clears every public timer (eddy_clear_timer on each); returns how many. */
int eddy__timers_clear_public(eddy_loop *loop);

/* signal.c: releases the loop's signal state (no watcher is left then). EDDY_NO_SIGNALS:
 * a loop has none, and eddy_loop_free calls nothing. */
#ifdef EDDY_NO_SIGNALS
static inline void eddy__signals_free(eddy_loop *loop)
{
    (void)loop;
}
#else
void eddy__signals_free(eddy_loop *loop);
#endif

/* post.c */
/* A post whose node the caller owns (embedded in its object), so that posting cannot fail:
 * fn(arg) runs on the loop as for eddy_loop_post. Thread-safe. The node must not be posted
 * again before fn has started (the node is unlinked before fn runs), and the caller must
 * make sure that the loop outlives the call (join the posting thread before freeing it). */
typedef struct eddy__post {
    eddy__queue node;
    void (*fn)(void *);
    void *arg;
    bool owned; /* allocated by eddy_loop_post: freed once taken */
} eddy__post;
void eddy__post_embedded(eddy_loop *loop, eddy__post *p);
int eddy__post_init(eddy_loop *loop);
/* Makes the wakeup descriptor now if no post made it yet, for an owner whose posts must
 * not fail later (eddy__post_embedded). Thread-safe. 0 or -errno. */
int eddy__post_prepare(eddy_loop *loop);
void eddy__post_free(eddy_loop *loop);
bool eddy__post_alive(eddy_loop *loop);

#endif
