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

/* A new loop, or NULL when memory or a kernel resource (the epoll fd) is lacking. The
 * wakeup descriptor of eddy_loop_post is made by the first post (epoll, kqueue; with the
 * loop itself on the poll backend, whose array only the loop thread may change).
 * The same as eddy_loop_new_with(NULL): the defaults of eddy_loop_options. */
eddy_loop *eddy_loop_new(void);

/* What a loop allocates, for programs that count their memory (firmware). A field left
 * 0 takes its default; eddy_loop_options_init writes the defaults, so a program can
 * start from them. With the defaults a new loop holds under 4 KiB of heap (the loop
 * itself and small tables that grow with the work), and its read buffer is allocated at
 * the first read of a socket with eddy's own buffer (not with eddy_socket_set_onread).
 *
 * The deferred and release queues, the immediates and the post queue are intrusive
 * (their nodes live in the objects queued): they never allocate and have no size. The
 * signal state (about 400 B, fixed) is allocated with the loop's first signal watcher. */
typedef struct {
    /* Bytes one read of a socket may bring: a 'data' event (or decoded text, before
     * decoding) carries at most this many. One buffer of this size per loop, shared by
     * its sockets, allocated at the first read. 1 .. 16 MiB; 0 = 64 KiB. */
    size_t read_buffer_size;
    /* Readiness events the loop takes from the kernel per wait, at first (epoll and
     * kqueue: the size of the event array; poll: the watched-descriptor slots, which grow
     * by doubling as descriptors are added, up to 2^21 descriptors: one more fails with
     * EMFILE, as the process's descriptor limit would). 1 .. 65536; 0 = 32. */
    unsigned io_events;
    /* epoll and kqueue: how far the event array may grow. A wait that fills the array
     * doubles it (up to this), so a loop with many ready sockets takes them in fewer
     * waits; events that do not fit wait for the next turn, none is lost. io_events ..
     * 65536; 0 = 1024 (or io_events when that is larger). poll takes every ready
     * descriptor in one wait and ignores it. */
    unsigned io_events_max;
    /* Slots of the timer heap (one pointer each), allocated with the loop's first timer;
     * it doubles when full. Sockets' idle timers count too. 1 .. 16777216; 0 = 64. */
    unsigned timer_slots;
} eddy_loop_options;

/* Writes the defaults into *opts (each field its default value, not 0). NULL is accepted
 * (does nothing). */
void eddy_loop_options_init(eddy_loop_options *opts);

/* A new loop with these options (NULL: the defaults, as eddy_loop_new). NULL when a field
 * is out of its range (-EINVAL), memory is lacking (-ENOMEM), or the kernel refuses a
 * resource (the epoll fd; the post wakeup on the poll and kqueue backends: -EMFILE...);
 * use eddy_loop_new_ex to learn which.
 * The options are copied: opts may be released after the call. */
eddy_loop *eddy_loop_new_with(const eddy_loop_options *opts);

/* eddy_loop_new_with, with the reason for a failure in *err (0 on success; -EINVAL,
 * -ENOMEM, -EMFILE...). err may be NULL. */
eddy_loop *eddy_loop_new_ex(const eddy_loop_options *opts, int *err);

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
 * of the calls. The only thread-safe eddy call, from any thread, also while the loop
 * waits. A pending post keeps the loop alive. The first post of a loop makes its wakeup
 * descriptor (an eventfd; a non-blocking, close-on-exec pipe where there is none; the
 * poll backend makes it with the loop, and eddy_loop_new fails without it): when
 * two threads post first at once, one makes it. 0, -EINVAL (NULL loop or fn), -ENOMEM,
 * or the negative errno that kept the wakeup from being made (-EMFILE, -ENFILE...): then
 * nothing was queued, and a later post tries again. EDDY_NO_POST (eddy/config.h): -ENOSYS
 * (after the -EINVAL checks), and fn never runs. */
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

/* ---- signals (Node's process.on('SIGINT'), libuv's uv_signal_t) ---- */

typedef struct eddy_signal eddy_signal;

/* Calls fn(signum, ctx) on the loop's thread, from the loop's I/O phase, each time signum
 * is delivered to the process after this call. Several watchers of one signal run in the
 * order they were started; signals that arrive while the loop is busy are coalesced (as
 * the kernel coalesces standard signals): one call per signal number and wakeup.
 *
 * What the process sees: while at least one watcher of signum exists anywhere in the
 * process, eddy's handler is installed for signum (sigaction, SA_RESTART, the previous
 * disposition saved) and the signal's default action (SIGINT: terminate) no longer
 * happens; when the last watcher goes, the saved disposition is restored. Several loops:
 * every loop that watches signum gets it, whichever thread the kernel chose to run the
 * handler in (the handler only marks the signal pending on each watching loop and wakes
 * it; nothing runs in signal context beyond that). So two loops in two threads that both
 * watch SIGINT both call their watchers once per Ctrl-C.
 *
 * A watcher is a handle: it keeps eddy_loop_run(DEFAULT) going while referenced (the
 * default, as libuv's) and eddy_loop_free returns -EBUSY until it is stopped. Unreference
 * it (eddy_signal_unref) for a watcher that should not keep the program alive on its own.
 *
 * Returns the watcher, or NULL: a NULL loop or fn, a signum that cannot be caught
 * (SIGKILL, SIGSTOP, outside 1..64), or -ENOMEM / no descriptor for the loop's wakeup.
 * Use eddy_signal_start_ex to learn which. Not async-signal-safe; any thread that owns
 * the loop may call it. EDDY_NO_SIGNALS (eddy/config.h): NULL for any arguments
 * (eddy_signal_start_ex: -ENOSYS), nothing else happens; the calls below then only ever
 * get NULL and do nothing (eddy_signal_signum: 0). */
eddy_signal *eddy_signal_start(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                               void *ctx);

/* eddy_signal_start, with the reason for a failure in *err (0 on success; -EINVAL,
 * -ENOMEM, -EMFILE...; EDDY_NO_SIGNALS: -ENOSYS). err may be NULL. */
eddy_signal *eddy_signal_start_ex(eddy_loop *loop, int signum, void (*fn)(int signum, void *ctx),
                                  void *ctx, int *err);

/* Stops and releases the watcher: fn is not called again (also not for a signal already
 * pending). Safe from inside any watcher's callback, its own included. NULL is accepted.
 * The pointer is stale afterwards. */
void eddy_signal_stop(eddy_signal *w);

/* An unreferenced watcher does not keep eddy_loop_run(DEFAULT) going (it still fires
 * while the loop runs for other reasons). NULL is accepted. */
void eddy_signal_unref(eddy_signal *w);
void eddy_signal_ref(eddy_signal *w);

/* The signal a watcher watches (0 for NULL). */
int eddy_signal_signum(const eddy_signal *w);

/* Closes what the loop itself owns, so that eddy_loop_free can succeed at exit: clears
 * every timer, interval and immediate set with eddy_set_* and stops every signal watcher
 * of the loop (their callbacks do not run again). Servers and sockets are not the loop's
 * to close: close them as Node programs do at exit (eddy_server_close on each server,
 * eddy_socket_destroy on each socket you hold), then run the loop until it returns 0 so
 * their 'close' events are emitted and their memory released, then eddy_loop_free.
 * May be called from inside a callback of the loop (a timer that is running is released
 * when its callback returns). Returns how many objects it closed, or -EINVAL for NULL. */
int eddy_loop_close_all(eddy_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
