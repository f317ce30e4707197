/* Descriptor flags (fd.h). */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

/* FIONBIO and FIOCLEX where the system has them (Linux, the BSDs, macOS), which set one
 * flag each without reading the others first: one call per flag, and a static program
 * does not carry libc's fcntl (423 bytes on musl, for its F_GETOWN_EX and F_DUPFD
 * emulations). fcntl elsewhere. */
#if defined(FIONBIO) && defined(FIOCLEX)
#define EDDY__FD_IOCTL 1
#endif

int eddy__fd_set_cloexec(int fd)
{
#ifdef EDDY__FD_IOCTL
    if (ioctl(fd, FIOCLEX) < 0)
        return -errno;
#else
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -errno;
#endif
    return 0;
}

static int set_nonblock(int fd)
{
#ifdef EDDY__FD_IOCTL
    int one = 1;
    if (ioctl(fd, FIONBIO, &one) < 0)
        return -errno;
#else
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
#endif
    return 0;
}

int eddy__fd_set_nonblock_cloexec(int fd)
{
    int err = set_nonblock(fd);
    return err < 0 ? err : eddy__fd_set_cloexec(fd);
}
