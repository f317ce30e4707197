// A C++ exception thrown in a callback or a listener reaches a catch around eddy_loop_run:
// the library's objects keep their unwind tables (the default build; -Dminimal=true drops
// them, and this test with them: README.md, "Size"). Without the tables the throw ends in
// std::terminate. Two paths, each on a loop of its own: a timer callback (timers), and a
// 'listening' listener (the emitter's dispatch, from the loop's deferred work).
// The loop is then left as if still running (eddy_loop_free answers -EBUSY): a program can
// report and exit, not run the loop again. The loops and the server stay in statics, so
// that the leak checkers see them as reachable.
#include <cerrno>
#include <cstdio>
#include <stdexcept>

#include "eddy.h"

static eddy_loop *loops[2];
static eddy_server *server;
static int fired;

static void throw_from_timer(void *arg)
{
    (void)arg;
    fired++;
    throw std::runtime_error("thrown in a timer callback");
}

static void throw_from_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    fired++;
    throw std::runtime_error("thrown in a 'listening' listener");
}

// Runs the loop and expects the one exception its set-up throws: 0 when it was caught
// around eddy_loop_run, after exactly one call, and the loop reports itself busy.
static int expect_caught(eddy_loop *loop)
{
    fired = 0;
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

int main()
{
    loops[0] = eddy_loop_new();
    if (!loops[0] || !eddy_set_timeout(loops[0], 1, throw_from_timer, nullptr)) {
        std::puts("FAIL: no loop or no timer");
        return 1;
    }
    if (expect_caught(loops[0]) != 0)
        return 1;

    loops[1] = eddy_loop_new();
    if (loops[1])
        server = eddy_create_server(loops[1], nullptr, nullptr, nullptr);
    if (!server || eddy_server_listen(server, 0, "127.0.0.1", throw_from_listener, nullptr) != 0) {
        std::puts("FAIL: no loop, no server or no listen");
        return 1;
    }
    return expect_caught(loops[1]);
}
