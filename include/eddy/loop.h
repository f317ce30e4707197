/* eddy: the reactor loop and its timers. */
#ifndef EDDY_LOOP_H
#define EDDY_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_loop eddy_loop;

typedef enum {
    EDDY_RUN_DEFAULT, /* run until nothing referenced is alive, or eddy_loop_stop() */
    EDDY_RUN_ONCE,    /* one iteration; blocks for I/O if something referenced is alive */
    EDDY_RUN_NOWAIT   /* one iteration that never blocks */
} eddy_run_mode;

/* A new loop, or NULL when memory or a kernel resource (epoll fd, eventfd) is lacking. */
eddy_loop *eddy_loop_new(void);

/* Runs the loop in the given mode. Returns 1 when referenced objects are still alive
 * (more work remains), 0 when nothing referenced is alive, -EINVAL for a NULL loop or an
 * unknown mode, -EBUSY when called from inside the same loop's callbacks. An iteration:
 * expired timers, I/O callbacks, immediates, then the release of objects that closed. */
int eddy_loop_run(eddy_loop *loop, eddy_run_mode mode);

/* Makes eddy_loop_run return after the current iteration. Not thread-safe: from another
 * thread, post a function that calls it. */
void eddy_loop_stop(eddy_loop *loop);

/* Releases the loop. -EBUSY (and nothing released) while timers, servers or sockets of
 * the loop are alive, referenced or not, or while a name lookup of the loop is in flight
 * (also one whose socket was destroyed: getaddrinfo cannot be interrupted, so run the
 * loop until it returned, which a pending lookup keeps the loop alive for); 0 on
 * success, after the loop's resolver threads (if it started any) were joined. NULL is
 * accepted (returns 0). */
int eddy_loop_free(eddy_loop *loop);

/* The loop's time in ms on the monotonic clock, read once per iteration. */
uint64_t eddy_loop_now(const eddy_loop *loop);

/* The readiness backend compiled in: "epoll", "kqueue" or "poll". */
const char *eddy_loop_backend(const eddy_loop *loop);

/* Runs fn(arg) on the loop's thread during a later iteration, once per call, in the order
 * of the calls. The only thread-safe eddy call. A pending post keeps the loop alive.
 * 0, -EINVAL (NULL loop or fn) or -ENOMEM. */
int eddy_loop_post(eddy_loop *loop, void (*fn)(void *arg), void *arg);

typedef struct eddy_timer eddy_timer;

/* Calls fn(arg) once after at least ms milliseconds on the monotonic clock (never early;
 * timers due at the same time fire in the order they were set). The timer is released
 * after its callback returns, or by eddy_clear_timer. NULL on -ENOMEM or a NULL fn. */
eddy_timer *eddy_set_timeout(eddy_loop *loop, uint64_t ms, void (*fn)(void *arg), void *arg);

/* Calls fn(arg) every ms milliseconds (ms 0 counts as 1) until cleared. Ticks are
 * scheduled from the previous deadline, so the interval does not drift; ticks missed
 * while the loop was blocked are skipped, not bunched. */
eddy_timer *eddy_set_interval(eddy_loop *loop, uint64_t ms, void (*fn)(void *arg), void *arg);

/* Calls fn(arg) after the I/O of the current iteration. Immediates set from an immediate
 * run on the next iteration. */
eddy_timer *eddy_set_immediate(eddy_loop *loop, void (*fn)(void *arg), void *arg);

/* Cancels and releases a timer, interval or immediate; safe from inside its own
 * callback. NULL is accepted. After a timeout or immediate has fired the pointer is
 * stale: clear it only before or during its callback. */
void eddy_clear_timer(eddy_timer *t);

/* An unreferenced timer does not keep eddy_loop_run(DEFAULT) going. */
void eddy_timer_unref(eddy_timer *t);
void eddy_timer_ref(eddy_timer *t);

#ifdef __cplusplus
}
#endif
#endif
