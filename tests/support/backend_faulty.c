/* A backend that fails on purpose, for tests only: the build's real backend, with its
 * update call wrapped so that a test can make the backend reject the interest changes
 * of one descriptor (as epoll_ctl rejects a closed fd, or the kernel out of memory).
 * Linked into a test-only copy of the library (tests/meson.build: eddy_faulty); never
 * part of libeddy. */
#define eddy__backend_update eddy_test_real_backend_update
/* Each compiles to nothing unless it is the build's backend (loop/backend_choice.h). */
#include "loop/backend_epoll.c"
#include "loop/backend_kqueue.c"
#include "loop/backend_poll.c"
#undef eddy__backend_update

#include "backend_faulty.h"

/* Test processes are single-threaded here, and each Criterion test runs in its own
 * process: plain globals are the test's own. */
int eddy_test_fail_fd = -1;
int eddy_test_fail_err = -ENOSPC;
unsigned eddy_test_failures;

int eddy__backend_update(eddy_loop *loop, eddy__io *io);

int eddy__backend_update(eddy_loop *loop, eddy__io *io)
{
    if (io->fd >= 0 && io->fd == eddy_test_fail_fd && io->events != 0) {
        eddy_test_failures++;
        return eddy_test_fail_err;
    }
    return eddy_test_real_backend_update(loop, io);
}
