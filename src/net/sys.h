/* The socket calls that differ between Linux, the BSDs and macOS, in one place: a
 * descriptor that is non-blocking and close-on-exec from birth, and a send that never
 * raises SIGPIPE. Linux and FreeBSD do both in the call itself (SOCK_NONBLOCK |
 * SOCK_CLOEXEC, accept4, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC); macOS has none of the
 * SOCK_ flags nor accept4, so there the descriptor is set up with fcntl after the call,
 * and SO_NOSIGPIPE on the socket replaces the per-call flag.
 *
 * Kernel trap: a libc that names SOCK_NONBLOCK and accept4 may run on a kernel that has
 * neither (Linux before 2.6.27/2.6.28, still found in embedded firmware, or a seccomp
 * sandbox that allows only the classic calls). There accept4 answers ENOSYS (EINVAL
 * from some emulation layers) and socket() rejects the unknown type bits with EINVAL;
 * both fall back to the plain call and fcntl, as on macOS. */
#ifndef EDDY_NET_SYS_H
#define EDDY_NET_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "common/fd.h"

/* The keepalive idle time: Apple names it TCP_KEEPALIVE (seconds, like Linux's). */
#if !defined(TCP_KEEPIDLE) && defined(TCP_KEEPALIVE)
#define TCP_KEEPIDLE TCP_KEEPALIVE
#endif

/* Apple: SO_NOSIGPIPE on every socket, even with an SDK that names MSG_NOSIGNAL (older
 * releases ignore the flag, and a write to a reset peer would kill the process). */
#if defined(SO_NOSIGPIPE) && (defined(__APPLE__) || !defined(MSG_NOSIGNAL))
#define EDDY__SET_NOSIGPIPE 1
#endif

#ifdef MSG_NOSIGNAL
#define EDDY__MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define EDDY__MSG_NOSIGNAL 0
#endif

#ifdef MSG_CMSG_CLOEXEC
#define EDDY__MSG_CMSG_CLOEXEC MSG_CMSG_CLOEXEC
#else
#define EDDY__MSG_CMSG_CLOEXEC 0
#endif

/* Where sends cannot say MSG_NOSIGNAL, the socket says it once. 0 or -errno. */
static inline int eddy__sys_nosigpipe(int fd)
{
#ifdef EDDY__SET_NOSIGPIPE
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0)
        return -errno;
#endif
    (void)fd;
    return 0;
}

/* A descriptor made by a call that could not set the flags itself (macOS, an old
 * kernel): non-blocking and close-on-exec (common/fd.h), then SIGPIPE off. 0 or -errno. */
static inline int eddy__sys_setup_fd(int fd)
{
    int err = eddy__fd_set_nonblock_cloexec(fd);
    return err < 0 ? err : eddy__sys_nosigpipe(fd);
}

/* Closes fd when err says its setup failed: fd, or -1 with errno set. */
static inline int eddy__sys_setup_or_close(int fd, int err)
{
    if (err < 0) {
        close(fd);
        errno = -err;
        return -1;
    }
    return fd;
}

/* socket(2) for a stream socket, non-blocking and close-on-exec: the fd or -1 (errno).
 * On a kernel that rejects the SOCK_ flags each socket costs one refused call more;
 * nothing is remembered (there is no state to keep it in), and a socket is made once
 * per connection, not per message. */
static inline int eddy__sys_socket(int family)
{
    int fd;
#ifdef SOCK_NONBLOCK
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        return eddy__sys_setup_or_close(fd, eddy__sys_nosigpipe(fd));
    if (errno != EINVAL)
        return -1;
        /* EINVAL: the type bits are unknown here, or the family is; the plain call tells. */
#endif
    fd = socket(family, SOCK_STREAM, 0);
    return fd < 0 ? -1 : eddy__sys_setup_or_close(fd, eddy__sys_setup_fd(fd));
}

/* An accepted descriptor whose setup (err) failed is closed and reported like a
 * connection that went away before it was accepted: c, or -1 with errno ECONNABORTED. */
static inline int eddy__sys_accepted(int c, int err)
{
    if (err < 0) {
        close(c);
        errno = ECONNABORTED;
        return -1;
    }
    return c;
}

/* accept(2), the new fd non-blocking and close-on-exec: the fd or -1 (errno). The
 * caller keeps *no_accept4 (false at first) for this listening socket: once accept4 is
 * known to be missing it is not tried again. */
static inline int eddy__sys_accept(int fd, struct sockaddr *sa, socklen_t *len, bool *no_accept4)
{
#ifdef SOCK_NONBLOCK
    if (!*no_accept4) {
        int c = accept4(fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return eddy__sys_accepted(c, eddy__sys_nosigpipe(c));
        if (errno != ENOSYS && errno != EINVAL)
            return -1;
        /* ENOSYS: no accept4. EINVAL: the flags are refused, or the socket does not
         * listen, in which case the plain call says EINVAL too (and nothing is learnt). */
        c = accept(fd, sa, len);
        if (c < 0 && errno == EINVAL)
            return -1;
        *no_accept4 = true;
        return c < 0 ? -1 : eddy__sys_accepted(c, eddy__sys_setup_fd(c));
    }
#else
    (void)no_accept4;
#endif
    int c = accept(fd, sa, len);
    return c < 0 ? -1 : eddy__sys_accepted(c, eddy__sys_setup_fd(c));
}

/* The control message after c, or NULL: CMSG_NXTHDR written out, because glibc's macro
 * calls __cmsg_nxthdr, a glibc-only function that a build against glibc headers cannot
 * find in musl or uClibc-ng. Checks, as glibc and musl do, that the next header and its
 * data lie inside the control buffer. */
static inline struct cmsghdr *eddy__sys_cmsg_next(const struct msghdr *msg, struct cmsghdr *c)
{
    size_t total = (size_t)msg->msg_controllen;
    size_t at = (size_t)((unsigned char *)c - (unsigned char *)msg->msg_control);
    if (c->cmsg_len < CMSG_LEN(0))
        return NULL;
    size_t step = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0)); /* the aligned length */
    if (step > total - at || total - at - step < sizeof(struct cmsghdr))
        return NULL;
    struct cmsghdr *next = (struct cmsghdr *)(void *)((unsigned char *)c + step);
    if (next->cmsg_len > total - at - step)
        return NULL;
    return next;
}

/* A descriptor received with SCM_RIGHTS: close-on-exec where recvmsg could not do it. */
static inline void eddy__sys_received_fd(int fd)
{
#ifndef MSG_CMSG_CLOEXEC
    eddy__fd_set_cloexec(fd);
#else
    (void)fd;
#endif
}

#endif
