/* A million timers, after libuv's million_timers: set N timeouts with deadlines spread
 * over 1..1000 ms (init), wait until all are due, run the loop until every one fired
 * (dispatch), then release what is left (cleanup). Prints the three phases in seconds and
 * the heap bytes per pending timer.
 *
 *   timers [N, default 1000000] */
#include "../common/bench_util.h"
#include "eddy.h"

static long fired;

static void on_timeout(void *arg)
{
    (void)arg;
    fired++;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    eddy_loop *loop = eddy_loop_new();
    eddy_loop_run(loop, EDDY_RUN_NOWAIT); /* the loop's lazy allocations, out of the count */
    size_t heap0 = bench_heap_bytes();
    double t0 = bench_now();
    for (long i = 0; i < n; i++)
        if (!eddy_set_timeout(loop, bench_timer_ms((uint64_t)i), on_timeout, NULL))
            bench_die("eddy_set_timeout");
    double t1 = bench_now();
    size_t heap1 = bench_heap_bytes();
    usleep(1010 * 1000); /* every deadline has passed: dispatch runs them all at once */
    double t2 = bench_now();
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    double t3 = bench_now();
    int err = eddy_loop_free(loop);
    double t4 = bench_now();
    if (fired != n || err) {
        fprintf(stderr, "timers: %ld of %ld fired\n", fired, n);
        return 1;
    }
    printf("timers_init_s %.4f\ntimers_dispatch_s %.4f\ntimers_cleanup_s %.4f\n"
           "timers_bytes %.1f\n",
           t1 - t0, t3 - t2, t4 - t3, (double)(heap1 - heap0) / (double)n);
    return 0;
}
