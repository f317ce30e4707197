#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "loop/loop_internal.h"

Test(loop, new_loop_reports_its_backend)
{
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
#if defined(EDDY_BACKEND_EPOLL)
    cr_assert_str_eq(eddy_loop_backend(loop), "epoll");
#elif defined(EDDY_BACKEND_KQUEUE)
    cr_assert_str_eq(eddy_loop_backend(loop), "kqueue");
#else
    cr_assert_str_eq(eddy_loop_backend(loop), "poll");
#endif
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, run_default_with_nothing_alive_returns_at_once)
{
    eddy_loop *loop = eddy_loop_new();
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, run_rejects_bad_arguments)
{
    cr_assert_eq(eddy_loop_run(NULL, EDDY_RUN_DEFAULT), -EINVAL);
    eddy_loop *loop = eddy_loop_new();
    cr_assert_eq(eddy_loop_run(loop, (eddy_run_mode)42), -EINVAL);
    eddy_loop_free(loop);
}

static void count(void *arg)
{
    (*(int *)arg)++;
}

Test(loop, run_nowait_does_not_block_on_a_pending_timer)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_timer *t = eddy_set_timeout(loop, 10000, count, &fired);
    uint64_t start = mono_ns();
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 1);
    cr_assert_lt(mono_ns() - start, 1000000000u);
    cr_assert_eq(fired, 0);
    eddy_clear_timer(t);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, run_once_blocks_until_the_next_timer_and_fires_it)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    uint64_t start = mono_ns(); /* before the set: the delay counts from the set */
    eddy_set_timeout(loop, 20, count, &fired);
    /* keeps it alive; an hour, so that a loaded machine under valgrind never reaches it */
    eddy_timer *far = eddy_set_timeout(loop, 3600000, count, &fired);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_ONCE), 1);
    cr_assert_eq(fired, 1);
    cr_assert_geq(mono_ns() - start, 20000000u);
    cr_assert_eq(eddy_loop_free(loop), -EBUSY); /* the 10 s timer is alive */
    eddy_clear_timer(far);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void stop_loop(void *arg)
{
    eddy_loop_stop(arg);
}

Test(loop, stop_makes_run_return_while_work_remains)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_timer *far = eddy_set_timeout(loop, 10000, count, &fired);
    eddy_set_timeout(loop, 5, stop_loop, loop);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 1);
    cr_assert_eq(fired, 0);
    eddy_clear_timer(far);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, unreferenced_timer_does_not_keep_the_loop_alive)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_timer *t = eddy_set_timeout(loop, 10000, count, &fired);
    eddy_timer_unref(t);
    uint64_t start = mono_ns();
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_lt(mono_ns() - start, 1000000000u);
    cr_assert_eq(fired, 0);
    cr_assert_eq(eddy_loop_free(loop), -EBUSY, "an unreferenced timer is still alive");
    eddy_clear_timer(t);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, referencing_again_keeps_the_loop_alive_until_the_timer_fires)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_timer *t = eddy_set_timeout(loop, 10, count, &fired);
    eddy_timer_unref(t);
    eddy_timer_ref(t);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void run_nested(void *arg)
{
    eddy_loop *loop = arg;
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), -EBUSY);
    cr_assert_eq(eddy_loop_free(loop), -EBUSY);
}

Test(loop, run_and_free_from_inside_a_callback_are_refused)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_set_timeout(loop, 0, run_nested, loop);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop, now_is_monotonic_milliseconds_updated_per_iteration)
{
    eddy_loop *loop = eddy_loop_new();
    uint64_t before = eddy_loop_now(loop);
    int fired = 0;
    eddy_set_timeout(loop, 30, count, &fired);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_geq(eddy_loop_now(loop) - before, 30);
    eddy_loop_free(loop);
}

/* ---- the stale-event trap ---- */

struct watcher {
    eddy__io io; /* first: the callbacks cast back */
    struct watcher *other;
    int *other_pipe;
    int calls, reused_calls;
    bool reused;
};

static void on_reused(eddy__io *io, unsigned revents)
{
    (void)revents;
    ((struct watcher *)io)->reused_calls++;
}

/* Whichever watcher runs first closes the other's fd and puts a fresh, never readable
 * pipe at the same fd number, watched through the same watcher struct: exactly what a
 * server that closes and re-listens, or an accept that reuses a number, does. */
static void on_ready(eddy__io *io, unsigned revents)
{
    struct watcher *w = (struct watcher *)io;
    (void)revents;
    w->calls++;
    eddy__io_stop(io, EDDY__READABLE);
    if (w->other->calls > 0 || w->other->reused)
        return;
    int fd = w->other->io.fd;
    eddy_loop *loop = io->loop;
    eddy__io_close(&w->other->io);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(dup2(p[0], fd), fd);
    close(p[0]);
    close(w->other_pipe[1]);
    w->other_pipe[1] = p[1];
    w->other->reused = true;
    eddy__io_init(&w->other->io, loop, fd, on_reused);
    eddy__io_start(&w->other->io, EDDY__READABLE);
}

Test(loop, events_of_an_fd_closed_and_reused_in_the_same_batch_are_dropped)
{
    eddy_loop *loop = eddy_loop_new();
    int pa[2], pb[2];
    cr_assert_eq(pipe(pa), 0);
    cr_assert_eq(pipe(pb), 0);
    struct watcher a = {.other_pipe = pb}, b = {.other_pipe = pa};
    a.other = &b;
    b.other = &a;
    eddy__io_init(&a.io, loop, pa[0], on_ready);
    eddy__io_init(&b.io, loop, pb[0], on_ready);
    eddy__io_start(&a.io, EDDY__READABLE);
    eddy__io_start(&b.io, EDDY__READABLE);
    eddy__loop_ref(loop); /* raw watchers are not handles: keep the loop turning */
    /* both readable before the poll, so both events are in one batch */
    cr_assert_eq(write(pa[1], "x", 1), 1);
    cr_assert_eq(write(pb[1], "x", 1), 1);
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_eq(a.calls + b.calls, 1, "the closed watcher got no event");
    cr_assert(a.reused || b.reused);
    cr_assert_eq(a.reused_calls + b.reused_calls, 0,
                 "the stale event did not reach the fd's new watcher");
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_eq(a.reused_calls + b.reused_calls, 0, "the new pipe is not readable");
    eddy__loop_unref(loop);
    eddy__io_close(&a.io);
    eddy__io_close(&b.io);
    close(pa[0]);
    close(pa[1]);
    close(pb[0]);
    close(pb[1]);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
