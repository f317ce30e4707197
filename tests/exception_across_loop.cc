// A C++ exception thrown in a callback reaches a catch around eddy_loop_run: the library's
// objects keep their unwind tables (the default build; -Dminimal=true drops them, and this
// test with them: README.md, "Size"). Without the tables the throw ends in std::terminate.
// The loop is then left as if still running (eddy_loop_free answers -EBUSY): a program can
// report and exit, not run the loop again. It stays in a static, so that the leak checkers
// see it as reachable.
#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "eddy.h"

static eddy_loop *loop;
static int fired;

static void throw_from_timer(void *arg)
{
    (void)arg;
    fired++;
    throw std::runtime_error("thrown in a timer callback");
}

int main()
{
    loop = eddy_loop_new();
    if (!loop || !eddy_set_timeout(loop, 1, throw_from_timer, nullptr)) {
        std::puts("FAIL: no loop or no timer");
        return 1;
    }
    try {
        eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    } catch (const std::runtime_error &e) {
        int busy = eddy_loop_free(loop);
        if (fired != 1 || busy != -EBUSY) {
            std::printf("FAIL: fired %d, eddy_loop_free %d (want 1, -EBUSY)\n", fired, busy);
            return 1;
        }
        std::printf("ok: caught \"%s\" around eddy_loop_run\n", e.what());
        return 0;
    }
    std::printf("FAIL: eddy_loop_run returned, fired %d\n", fired);
    return 1;
}
