/* The readiness backend: one file each (backend_epoll.c, backend_kqueue.c,
 * backend_poll.c), chosen at compile time. Nothing backend-specific lives elsewhere. */
#ifndef EDDY_LOOP_BACKEND_H
#define EDDY_LOOP_BACKEND_H

#include "backend_choice.h"
#include "loop_internal.h"

/* Creates loop->backend. 0 or a negative errno. */
int eddy__backend_init(eddy_loop *loop);
void eddy__backend_free(eddy_loop *loop);

/* Tells the kernel that io now wants io->events (it had io->registered). 0, or the
 * negative errno that rejected the change (the loop then fails that watcher alone). A
 * backend that applies changes later (in the call that waits) reports a rejection as a
 * fired entry with eddy__io_failure(err) as revents. */
int eddy__backend_update(eddy_loop *loop, eddy__io *io);
/* Registers io (not yet registered) for events at once, from any thread, also while the
 * loop waits in another: for a wakeup descriptor made by the first eddy_loop_post. Only
 * where EDDY__BACKEND_WATCH_ANY_THREAD is 1: epoll (epoll_ctl may run beside epoll_wait)
 * and kqueue (kevent may change a kqueue beside a waiting kevent); poll's array belongs
 * to the loop thread, so the poll backend makes the wakeup with the loop. Sets
 * io->events and io->registered. 0 or -errno. */
#if EDDY__BACKEND == EDDY__BACKEND_EPOLL_ID || EDDY__BACKEND == EDDY__BACKEND_KQUEUE_ID
#define EDDY__BACKEND_WATCH_ANY_THREAD 1
int eddy__backend_watch_now(eddy_loop *loop, eddy__io *io, unsigned events);
#else
#define EDDY__BACKEND_WATCH_ANY_THREAD 0
#endif

/* The call that applies changes, as named in an 'error' ("epoll_ctl"). */
extern const char eddy__backend_update_call[];

/* Forgets io at once: its fd is about to be closed. */
void eddy__backend_forget(eddy_loop *loop, eddy__io *io);

/* Waits up to timeout_ms (-1: forever) and fills loop->fired / loop->fired_len.
 * 0, or a negative errno other than EINTR (EINTR is an empty batch). */
int eddy__backend_poll(eddy_loop *loop, int timeout_ms);

const char *eddy__backend_name(void);

#endif
