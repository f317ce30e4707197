/* libuv's million_timers (see ../eddy/timers.c): N uv_timer_t, user-allocated as libuv
 * requires (one array, as in libuv's benchmark), deadlines spread over 1..1000 ms; init,
 * dispatch after every deadline passed, cleanup (uv_close each, run, free).
 *
 *   uv_timers [N, default 1000000] */
#include <uv.h>

#include "../common/bench_util.h"

static long fired;

static void on_timeout(uv_timer_t *t)
{
    (void)t;
    fired++;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    uv_loop_t *loop = uv_default_loop();
    uv_run(loop, UV_RUN_NOWAIT);
    size_t heap0 = bench_heap_bytes();
    double t0 = bench_now();
    uv_timer_t *timers = malloc((size_t)n * sizeof *timers);
    if (!timers)
        bench_die("malloc");
    for (long i = 0; i < n; i++) {
        uv_timer_init(loop, &timers[i]);
        uv_timer_start(&timers[i], on_timeout, bench_timer_ms((uint64_t)i), 0);
    }
    double t1 = bench_now();
    size_t heap1 = bench_heap_bytes();
    usleep(1010 * 1000);
    double t2 = bench_now();
    uv_run(loop, UV_RUN_DEFAULT);
    double t3 = bench_now();
    for (long i = 0; i < n; i++)
        uv_close((uv_handle_t *)&timers[i], NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    free(timers);
    double t4 = bench_now();
    if (fired != n) {
        fprintf(stderr, "uv_timers: %ld of %ld fired\n", fired, n);
        return 1;
    }
    printf("timers_init_s %.4f\ntimers_dispatch_s %.4f\ntimers_cleanup_s %.4f\n"
           "timers_bytes %.1f\n",
           t1 - t0, t3 - t2, t4 - t3, (double)(heap1 - heap0) / (double)n);
    return 0;
}
