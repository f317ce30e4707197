/* Which readiness backend this build uses, decided once for every file that cares (the
 * three backend files, loop.c, the tests): EDDY__BACKEND is EDDY__BACKEND_EPOLL_ID,
 * _KQUEUE_ID or _POLL_ID. Each backend file compiles to nothing unless it is the chosen
 * one, so a vendored build compiles every .c file under src/ as it stands.
 *
 * -DEDDY_BACKEND_EPOLL, -DEDDY_BACKEND_KQUEUE or -DEDDY_BACKEND_POLL chooses (meson's
 * io_backend option passes one of them); without one: epoll on Linux, kqueue on macOS and
 * the BSDs, poll elsewhere. */
#ifndef EDDY_LOOP_BACKEND_CHOICE_H
#define EDDY_LOOP_BACKEND_CHOICE_H

#define EDDY__BACKEND_EPOLL_ID 1
#define EDDY__BACKEND_KQUEUE_ID 2
#define EDDY__BACKEND_POLL_ID 3

#if (defined(EDDY_BACKEND_EPOLL) + defined(EDDY_BACKEND_KQUEUE) + defined(EDDY_BACKEND_POLL)) > 1
#error "eddy: define at most one of EDDY_BACKEND_EPOLL, EDDY_BACKEND_KQUEUE, EDDY_BACKEND_POLL"
#endif

#if defined(EDDY_BACKEND_EPOLL)
#define EDDY__BACKEND EDDY__BACKEND_EPOLL_ID
#elif defined(EDDY_BACKEND_KQUEUE)
#define EDDY__BACKEND EDDY__BACKEND_KQUEUE_ID
#elif defined(EDDY_BACKEND_POLL)
#define EDDY__BACKEND EDDY__BACKEND_POLL_ID
#elif defined(__linux__)
#define EDDY__BACKEND EDDY__BACKEND_EPOLL_ID
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
#define EDDY__BACKEND EDDY__BACKEND_KQUEUE_ID
#else
#define EDDY__BACKEND EDDY__BACKEND_POLL_ID
#endif

/* EDDY_NO_POLL_BACKEND (eddy/config.h): a firmware build that must not fall back to poll
 * (O(n) per wait) says so, and a build that would use it fails here instead. */
#include "eddy/config.h"
#if defined(EDDY_NO_POLL_BACKEND) && EDDY__BACKEND == EDDY__BACKEND_POLL_ID
#error                                                                                             \
    "eddy: the poll backend is switched off (EDDY_NO_POLL_BACKEND or EDDY_MINIMAL): choose EDDY_BACKEND_EPOLL or EDDY_BACKEND_KQUEUE"
#endif

#endif
