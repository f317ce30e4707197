/* <sys/event.h> for Linux, test-only: the declarations of the kqueue subset that
 * tests/support/kqueue_shim.c implements on top of epoll, so that src/loop/backend_kqueue.c
 * compiles and runs unchanged on Linux. Layout and values follow macOS's header (FreeBSD's
 * struct kevent has an ext[4] array after udata, unused here). Never installed.
 * What the shim models, and what it does not, is written at the top of kqueue_shim.c. */
#ifndef EDDY_TEST_KQUEUE_SHIM_SYS_EVENT_H
#define EDDY_TEST_KQUEUE_SHIM_SYS_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
    uintptr_t ident; /* a descriptor, or the number of an EVFILT_USER event */
    int16_t filter;  /* EVFILT_* */
    uint16_t flags;  /* EV_* */
    uint32_t fflags; /* filter flags; on EV_EOF of a socket: its error */
    intptr_t data;   /* EVFILT_READ: bytes available; EV_ERROR: the errno */
    void *udata;     /* the caller's, returned unchanged */
};

#define EV_SET(kevp, a, b, c, d, e, f)                                                             \
    do {                                                                                           \
        struct kevent *ev_set_p_ = (kevp);                                                         \
        ev_set_p_->ident = (a);                                                                    \
        ev_set_p_->filter = (b);                                                                   \
        ev_set_p_->flags = (c);                                                                    \
        ev_set_p_->fflags = (d);                                                                   \
        ev_set_p_->data = (e);                                                                     \
        ev_set_p_->udata = (f);                                                                    \
    } while (0)

/* filters */
#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)
#define EVFILT_USER (-10)

/* actions and flags */
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
/* returned */
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

/* EVFILT_USER's fflags */
#define NOTE_FFNOP 0x00000000u
#define NOTE_FFAND 0x40000000u
#define NOTE_FFOR 0x80000000u
#define NOTE_FFCOPY 0xc0000000u
#define NOTE_FFCTRLMASK 0xc0000000u
#define NOTE_FFLAGSMASK 0x00ffffffu
#define NOTE_TRIGGER 0x01000000u

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

#endif
