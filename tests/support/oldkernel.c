/* oldkernel: runs a command on a kernel that looks older than this one, to test eddy's
 * fallbacks for the system calls Linux added in 2.6.27/2.6.28 and that old embedded
 * kernels (and some seccomp sandboxes) still lack:
 *
 *   oldkernel [--per-test] [--no-accept4] [--no-sock-flags] [--no-epoll-create1]
 *             [--no-eventfd] [--all] CMD ARGS...
 *
 *   --no-accept4        accept4 fails with ENOSYS
 *   --no-sock-flags     socket/socketpair with SOCK_NONBLOCK or SOCK_CLOEXEC in their type
 *                       fail with EINVAL (what a pre-2.6.27 kernel says of unknown type bits)
 *   --no-epoll-create1  epoll_create1 fails with ENOSYS
 *   --no-eventfd        eventfd and eventfd2 fail with ENOSYS
 *   --all               all of the above
 *   --per-test          CMD is a Criterion test program linked with oldkernel_hook.c:
 *                       the filter goes on in each test's process as the test starts
 *                       (Criterion's own runner needs the new calls), passed down in
 *                       EDDY_OLDKERNEL
 *
 * Otherwise it sets PR_SET_NO_NEW_PRIVS, installs the seccomp-BPF filter of
 * oldkernel_filter.c, then execs CMD: the filter is inherited by every child and survives
 * exec. Exit status 125 when the filter cannot be installed (e.g. a container that
 * forbids seccomp), 127 when CMD cannot be run, 2 on a usage error. Test-only: never
 * installed, never part of libeddy. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oldkernel_filter.h"

static int usage(void)
{
    fprintf(stderr, "usage: oldkernel [--per-test] [--no-accept4] [--no-sock-flags] "
                    "[--no-epoll-create1] [--no-eventfd] [--all] CMD ARGS...\n");
    return 2;
}

int main(int argc, char **argv)
{
    unsigned what = 0;
    int per_test = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        unsigned bit = oldkernel_option(argv[i]);
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--per-test") == 0) {
            per_test = 1;
        } else if (bit) {
            what |= bit;
        } else {
            return usage();
        }
    }
    if (i >= argc)
        return usage();
    if (per_test) {
        char value[16];
        snprintf(value, sizeof value, "%u", what);
        if (setenv("EDDY_OLDKERNEL", value, 1) < 0) {
            perror("oldkernel: setenv");
            return 125;
        }
    } else {
        int err = oldkernel_install(what);
        if (err < 0) {
            fprintf(stderr, "oldkernel: cannot install the seccomp filter: %s\n", strerror(-err));
            return 125;
        }
    }
    execvp(argv[i], argv + i);
    fprintf(stderr, "oldkernel: %s: %s\n", argv[i], strerror(errno));
    return 127;
}
