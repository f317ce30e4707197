#include "helpers.h"

#include <time.h>

uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct watchdog {
    eddy_loop *loop;
    bool fired;
};

static void watchdog_fire(void *arg)
{
    struct watchdog *w = arg;
    w->fired = true;
    eddy_loop_stop(w->loop);
}

bool run_loop_for(eddy_loop *loop, uint64_t limit_ms)
{
    struct watchdog w = {loop, false};
    eddy_timer *t = eddy_set_timeout(loop, limit_ms, watchdog_fire, &w);
    eddy_timer_unref(t);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    if (!w.fired)
        eddy_clear_timer(t);
    return !w.fired;
}
