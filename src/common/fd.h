/* Descriptor flags set after the call that made the descriptor: what a system without
 * the atomic flags (SOCK_NONBLOCK, EFD_CLOEXEC, EPOLL_CLOEXEC...) gets instead. Between
 * the call and the fcntl a fork+exec in another thread inherits the descriptor: the
 * price of those systems, paid only on them. */
#ifndef EDDY_COMMON_FD_H
#define EDDY_COMMON_FD_H

#include <errno.h>
#include <fcntl.h>

/* A descriptor just made (its status flags are the kernel's defaults, so one F_SETFL
 * cannot drop another flag): non-blocking and close-on-exec. 0 or -errno. */
static inline int eddy__fd_set_nonblock_cloexec(int fd)
{
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

#endif
