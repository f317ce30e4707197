/* Linked into the Criterion test programs that run under `oldkernel --per-test`: puts
 * the seccomp filter that EDDY_OLDKERNEL names on each test's process as the test starts.
 * Criterion's runner and the test process's channel to it use accept4, eventfd,
 * epoll_create1 and SOCK_CLOEXEC themselves, so the filter cannot go on the whole
 * program; by the time a test's setup runs, that channel is open. The programs are
 * linked with -Wl,--wrap=criterion_internal_test_setup (the call every Test() makes
 * first, from the test's own object file). Without EDDY_OLDKERNEL: nothing happens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oldkernel_filter.h"

void __real_criterion_internal_test_setup(void);
void __wrap_criterion_internal_test_setup(void);

void __wrap_criterion_internal_test_setup(void)
{
    const char *env = getenv("EDDY_OLDKERNEL");
    if (env && *env) {
        int err = oldkernel_install((unsigned)strtoul(env, NULL, 10));
        if (err < 0)
            cr_assert_fail("oldkernel: cannot install the seccomp filter: %s", strerror(-err));
    }
    __real_criterion_internal_test_setup();
}
