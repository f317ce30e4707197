/* A loop's wakeup channel, written from another thread (eddy_loop_post) or a signal
 * handler (signal.c) to end the loop's wait. */
#ifndef EDDY_LOOP_WAKEUP_H
#define EDDY_LOOP_WAKEUP_H

#include <errno.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "common/fd.h"

/* fds[0] is watched for readability, fds[1] is written 8 bytes to. On Linux an eventfd,
 * the same descriptor twice (one read resets it); where there is no eventfd a pipe (read
 * until empty). Both non-blocking and close-on-exec. 0 or -errno.
 *
 * Kernel trap: eventfd(2) with flags is the eventfd2 system call (Linux 2.6.27). An
 * older kernel, or a seccomp sandbox that allows only the classic calls, answers ENOSYS
 * (a libc that falls back to the flagless eventfd call passes EINVAL for the flags):
 * the pipe serves there too. */
static inline int eddy__wakeup_open(int fds[2])
{
#ifdef __linux__
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd >= 0) {
        fds[0] = fds[1] = fd;
        return 0;
    }
    if (errno != ENOSYS && errno != EINVAL)
        return -errno;
#endif
    if (pipe(fds) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        int err = eddy__fd_set_nonblock_cloexec(fds[i]);
        if (err < 0) {
            close(fds[0]);
            close(fds[1]);
            return err;
        }
    }
    return 0;
}

static inline void eddy__wakeup_close(int read_fd, int write_fd)
{
    close(read_fd);
    if (write_fd != read_fd)
        close(write_fd);
}

#endif
