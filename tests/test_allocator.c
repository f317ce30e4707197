/* The allocator hook: every allocation goes through it, and the Nth failing allocation
 * surfaces as NULL or -ENOMEM, never a crash or a leak. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "eddy.h"
#include "helpers.h"

/* Criterion runs each test in its own process, so this per-process counter is the
 * test's own. */
static struct {
    long calls, fail_at, live;
} counter;

static void *counting_malloc(size_t n)
{
    if (++counter.calls == counter.fail_at)
        return NULL;
    counter.live++;
    return malloc(n);
}

static void *counting_realloc(void *p, size_t n)
{
    if (++counter.calls == counter.fail_at)
        return NULL;
    if (!p)
        counter.live++;
    return realloc(p, n);
}

static void counting_free(void *p)
{
    counter.live--;
    free(p);
}

static void use_counting_allocator(long fail_at)
{
    counter.calls = 0;
    counter.fail_at = fail_at;
    counter.live = 0;
    eddy_set_allocator(counting_malloc, counting_realloc, counting_free);
}

static void restore_allocator(void)
{
    eddy_set_allocator(NULL, NULL, NULL);
}

TestSuite(allocator, .fini = restore_allocator);

static void noop(void *arg)
{
    (void)arg;
}

/* A scenario that allocates: a loop, timers, an immediate, a post. Returns true if it
 * ran to the end; every failure on the way must be reported, not crash. */
static bool scenario(void)
{
    eddy_loop *loop = eddy_loop_new();
    if (!loop)
        return false;
    bool ok = true;
    for (int i = 0; i < 100 && ok; i++)
        ok = eddy_set_timeout(loop, 1, noop, NULL) != NULL;
    if (ok)
        ok = eddy_set_immediate(loop, noop, NULL) != NULL;
    if (ok)
        ok = eddy_loop_post(loop, noop, NULL) == 0;
    /* whatever was created fires and is released; a run that failed for lack of memory
     * says so and can be run again */
    for (int tries = 0; tries < 3 && eddy_loop_run(loop, EDDY_RUN_DEFAULT) < 0; tries++)
        ok = false;
    cr_assert_eq(eddy_loop_free(loop), 0);
    return ok;
}

Test(allocator, every_allocation_goes_through_the_hook)
{
    use_counting_allocator(0);
    cr_assert(scenario());
    cr_assert_gt(counter.calls, 100);
    cr_assert_eq(counter.live, 0, "everything allocated was freed through the hook");
}

Test(allocator, failing_the_nth_allocation_is_reported_and_leaks_nothing)
{
    use_counting_allocator(0);
    cr_assert(scenario());
    long total = counter.calls;
    for (long n = 1; n <= total; n++) {
        use_counting_allocator(n);
        cr_assert_not(scenario(), "allocation %ld failed but the scenario went on", n);
        cr_assert_eq(counter.live, 0, "a leak after failing allocation %ld", n);
    }
}

Test(allocator, loop_new_returns_null_when_the_first_allocation_fails)
{
    use_counting_allocator(1);
    cr_assert_null(eddy_loop_new());
    cr_assert_eq(counter.live, 0);
}

Test(allocator, post_returns_enomem)
{
    eddy_loop *loop = eddy_loop_new();
    use_counting_allocator(1);
    cr_assert_eq(eddy_loop_post(loop, noop, NULL), -ENOMEM);
    restore_allocator();
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* A socket's decoder and keep-alive delay live in its on-demand part: the calls that make
 * it report -ENOMEM and change nothing; bytes and delays under 1 s need no allocation. */
Test(allocator, set_encoding_and_keep_alive_delay_report_enomem_and_change_nothing)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_socket_new(loop, NULL);
    cr_assert_not_null(s);
    use_counting_allocator(1);
    cr_assert_eq(eddy_socket_set_encoding(s, EDDY_ENC_BUFFER), 0, "bytes: nothing to make");
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 999), 0, "under 1 s: nothing to keep");
    cr_assert_eq(counter.calls, 0);
    counter.fail_at = counter.calls + 1;
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 5000), -ENOMEM);
    counter.fail_at = counter.calls + 1;
    cr_assert_eq(eddy_socket_set_encoding(s, EDDY_ENC_UTF8), -ENOMEM);
    counter.fail_at = 0;
    cr_assert_eq(eddy_socket_set_encoding(s, EDDY_ENC_UTF8), 0, "made once memory is back");
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 5000), 0, "the same part holds the delay");
    cr_assert_eq(counter.live, 1, "one on-demand part for both");
    restore_allocator();
    eddy_socket_destroy(s);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* A high-water mark other than the default lives in the socket's on-demand part: a socket
 * made with one is NULL when that part cannot be allocated (nothing leaks), a connect with
 * one is -ENOMEM and starts nothing, and the default mark needs no part. */
Test(allocator, a_high_water_mark_of_its_own_is_enomem_without_memory_for_it)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options own = {.fd = -1, .high_water_mark = 4096};
    use_counting_allocator(2); /* the socket passes, its on-demand part fails */
    cr_assert_null(eddy_socket_new(loop, &own));
    cr_assert_eq(counter.calls, 2);
    cr_assert_eq(counter.live, 0, "the socket was freed");
    use_counting_allocator(2);
    eddy_socket_options dflt = {.fd = -1, .high_water_mark = 16 * 1024};
    eddy_socket *s = eddy_socket_new(loop, &dflt);
    cr_assert_not_null(s);
    cr_assert_eq(counter.calls, 1, "the default: the socket alone");
    eddy_connect_options co = {.port = 9, .host = "127.0.0.1", .high_water_mark = 4096};
    counter.fail_at = counter.calls + 1;
    cr_assert_eq(eddy_socket_connect_opts(s, &co, NULL, NULL), -ENOMEM);
    cr_assert_not(eddy_socket_connecting(s), "nothing was started");
    cr_assert_eq(counter.live, 1);
    counter.fail_at = 0;
    restore_allocator();
    eddy_socket_destroy(s);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void on_usr2(int signum, void *ctx)
{
    (void)signum;
    (void)ctx;
}

static void previous_usr2(int signum)
{
    (void)signum;
}

/* A signal's saved disposition is allocated with its first watcher (not a table of every
 * signal in the program's memory): when that allocation fails, the start is -ENOMEM and
 * the previous handler stays; once the last watcher stops, it is restored and the memory
 * is gone. */
Test(allocator, a_signal_start_that_cannot_allocate_is_enomem_and_keeps_the_disposition)
{
    struct sigaction sa = {0}, old, now;
    sa.sa_handler = previous_usr2;
    sigaction(SIGUSR2, &sa, &old);
    eddy_loop *loop = eddy_loop_new();
    for (long n = 1;; n++) {
        use_counting_allocator(n);
        int err = 1;
        eddy_signal *w = eddy_signal_start_ex(loop, SIGUSR2, on_usr2, NULL, &err);
        sigaction(SIGUSR2, NULL, &now);
        if (!w) {
            cr_assert_eq(err, -ENOMEM, "allocation %ld failed", n);
            cr_assert(now.sa_handler == previous_usr2, "allocation %ld failed", n);
            continue;
        }
        cr_assert(now.sa_handler != previous_usr2, "eddy's handler is installed");
        long live = counter.live;
        eddy_signal_stop(w);
        sigaction(SIGUSR2, NULL, &now);
        cr_assert(now.sa_handler == previous_usr2, "restored by the last stop");
        cr_assert_lt(counter.live, live - 1, "the watcher and the saved disposition are freed");
        break;
    }
    restore_allocator();
    cr_assert_eq(eddy_loop_free(loop), 0);
    sigaction(SIGUSR2, &old, NULL);
}

/* realloc_fn may be NULL (the default is so too): every table then grows into a new block
 * from malloc_fn, the old one copied and given to free_fn. What grows here: the timer
 * heap (100 timers), the fired batch, an emitter's listener array and user events. */
static int order[64], fired;

static void record(const eddy_event *ev, void *ctx)
{
    (void)ev;
    order[fired++] = (int)(intptr_t)ctx;
}

static bool growth_scenario(void)
{
    if (!scenario())
        return false;
    eddy_emitter *e = eddy_emitter_new();
    if (!e)
        return false;
    bool ok = true;
    eddy_set_max_listeners(e, 0);
    for (int i = 0; i < 40 && ok; i++)
        ok = eddy_on(e, "tick", record, (void *)(intptr_t)i) == 0;
    for (int i = 0; i < 8 && ok; i++) {
        char name[8] = {'e', (char)('a' + i), '\0'};
        ok = eddy_on(e, name, record, (void *)(intptr_t)(100 + i)) == 0;
    }
    fired = 0;
    if (ok) {
        eddy_event ev = {0};
        eddy_emit(e, "tick", &ev);
        eddy_emit(e, "eh", &ev);
        cr_assert_eq(fired, 41, "every listener kept through the growths");
        for (int i = 0; i < 40; i++)
            cr_assert_eq(order[i], i, "listener %d moved", i);
        cr_assert_eq(order[40], 107);
    }
    eddy_emitter_free(e);
    return ok;
}

Test(allocator, without_realloc_tables_grow_through_malloc_and_free)
{
    use_counting_allocator(0);
    eddy_set_allocator(counting_malloc, NULL, counting_free);
    cr_assert(growth_scenario());
    cr_assert_gt(counter.calls, 100, "the hook's malloc was used");
    cr_assert_eq(counter.live, 0, "every old block was freed through the hook");
    /* A growth that cannot allocate keeps the old table whole. */
    long total = counter.calls;
    for (long n = 1; n <= total; n++) {
        use_counting_allocator(n);
        eddy_set_allocator(counting_malloc, NULL, counting_free);
        cr_assert_not(growth_scenario(), "allocation %ld failed but the scenario went on", n);
        cr_assert_eq(counter.live, 0, "a leak after failing allocation %ld", n);
    }
}

Test(allocator, a_hook_without_malloc_or_free_is_ignored)
{
    use_counting_allocator(0);
    restore_allocator();
    eddy_set_allocator(NULL, counting_realloc, counting_free);
    eddy_set_allocator(counting_malloc, counting_realloc, NULL);
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_eq(counter.calls, 0, "the default allocator stayed");
}
