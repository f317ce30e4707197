/* Descriptor flags set after the call that made the descriptor: what a system without
 * the atomic flags (SOCK_NONBLOCK, EFD_CLOEXEC, EPOLL_CLOEXEC...) gets instead. Between
 * the call and the flag's setting a fork+exec in another thread inherits the
 * descriptor: the price of those systems, paid only on them. */
#ifndef EDDY_COMMON_FD_H
#define EDDY_COMMON_FD_H

/* Close-on-exec on fd. 0 or -errno. */
int eddy__fd_set_cloexec(int fd);

/* A descriptor just made, or one handed to us: non-blocking (its other status flags
 * kept) and close-on-exec. 0 or -errno. */
int eddy__fd_set_nonblock_cloexec(int fd);

#endif
