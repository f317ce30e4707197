/* A seccomp-BPF filter that makes this process (and what it starts) see an old kernel:
 * the calls eddy has fallbacks for fail as a kernel without them fails them. Shared by
 * the oldkernel program (tests/support/oldkernel.c), the per-test hook that applies it
 * inside Criterion's test processes (oldkernel_hook.c) and tests/test_oldkernel.c.
 * Test-only: never part of libeddy. */
#ifndef EDDY_TESTS_OLDKERNEL_FILTER_H
#define EDDY_TESTS_OLDKERNEL_FILTER_H

enum {
    OLDKERNEL_NO_ACCEPT4 = 1 << 0,       /* accept4: ENOSYS */
    OLDKERNEL_NO_SOCK_FLAGS = 1 << 1,    /* socket/socketpair with SOCK_NONBLOCK or
                                          * SOCK_CLOEXEC in the type: EINVAL */
    OLDKERNEL_NO_EPOLL_CREATE1 = 1 << 2, /* epoll_create1: ENOSYS */
    OLDKERNEL_NO_EVENTFD = 1 << 3,       /* eventfd2 and eventfd: ENOSYS */
    OLDKERNEL_ALL = (1 << 4) - 1,
    /* Not an old kernel's, for tests of the error paths: */
    OLDKERNEL_ACCEPT4_EINVAL = 1 << 4, /* accept4: EINVAL (an emulation refusing flags) */
    OLDKERNEL_ACCEPT_ENOMEM = 1 << 5,  /* accept and accept4: ENOMEM */
    OLDKERNEL_NO_ACCEPT = 1 << 6,      /* accept and accept4: ENOSYS */
    OLDKERNEL_ACCEPT4_EPERM = 1 << 7,  /* accept4: EPERM (no fallback: a server error) */
};

/* Installs the filter for `what` (OLDKERNEL_ bits) on the calling thread; threads and
 * processes it starts afterwards inherit it, exec keeps it, nothing removes it. Sets
 * PR_SET_NO_NEW_PRIVS first. 0 or -errno. */
int oldkernel_install(unsigned what);

/* The bit for a command-line option ("--no-accept4"...; "--all": OLDKERNEL_ALL), or 0. */
unsigned oldkernel_option(const char *opt);

#endif
