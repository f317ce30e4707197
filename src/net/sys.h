/* The socket calls that differ between Linux, the BSDs and macOS, in one place: a
 * descriptor that is non-blocking and close-on-exec from birth, and a send that never
 * raises SIGPIPE. Linux and FreeBSD do both in the call itself (SOCK_NONBLOCK |
 * SOCK_CLOEXEC, accept4, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC); macOS has none of the
 * SOCK_ flags nor accept4, so there the descriptor is set up with fcntl after the call,
 * and SO_NOSIGPIPE on the socket replaces the per-call flag. */
#ifndef EDDY_NET_SYS_H
#define EDDY_NET_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* Without SOCK_NONBLOCK there is a window between the call and the fcntl in which a
 * fork+exec of another thread inherits the descriptor: the price of macOS. */
static inline int eddy__sys_setup_fd(int fd)
{
#ifndef SOCK_NONBLOCK
    /* A new socket's status flags are known (none), so one F_SETFL is enough. */
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
#endif
    return eddy__sys_nosigpipe(fd);
}

/* socket(2) for a stream socket, non-blocking and close-on-exec: the fd or -1 (errno). */
static inline int eddy__sys_socket(int family)
{
#ifdef SOCK_NONBLOCK
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
    int fd = socket(family, SOCK_STREAM, 0);
#endif
    if (fd >= 0) {
        int err = eddy__sys_setup_fd(fd);
        if (err < 0) {
            close(fd);
            errno = -err;
            return -1;
        }
    }
    return fd;
}

/* accept(2), the new fd non-blocking and close-on-exec: the fd or -1 (errno). */
static inline int eddy__sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
#ifdef SOCK_NONBLOCK
    int c = accept4(fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int c = accept(fd, sa, len);
#endif
    if (c >= 0) {
        int err = eddy__sys_setup_fd(c);
        if (err < 0) {
            close(c);
            /* reported like a connection that went away before it was accepted */
            errno = ECONNABORTED;
            return -1;
        }
    }
    return c;
}

/* A descriptor received with SCM_RIGHTS: close-on-exec where recvmsg could not do it. */
static inline void eddy__sys_received_fd(int fd)
{
#ifndef MSG_CMSG_CLOEXEC
    fcntl(fd, F_SETFD, FD_CLOEXEC);
#else
    (void)fd;
#endif
}

#endif
