/* Signal watchers and eddy_loop_close_all. Each Criterion test runs in its own process,
 * so raise() and kill(getpid()) reach only the test that sends them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

struct tally {
    int calls;
    int last_signum;
    char order[16];
    pthread_t thread;
    eddy_signal *stop_me;    /* stopped by the callback when set */
    eddy_signal *stop_other; /* likewise */
};

static void count_signal(int signum, void *ctx)
{
    struct tally *t = ctx;
    t->calls++;
    t->last_signum = signum;
    t->thread = pthread_self();
    if (t->stop_other)
        eddy_signal_stop(t->stop_other);
    if (t->stop_me)
        eddy_signal_stop(t->stop_me);
}

static void raise_usr1(void *arg)
{
    (void)arg;
    raise(SIGUSR1);
}

Test(signal, a_raised_signal_calls_the_watcher_on_the_loop_thread_once)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    struct tally t = {0};
    eddy_signal *w = eddy_signal_start(loop, SIGUSR1, count_signal, &t);
    cr_assert_not_null(w);
    cr_assert_eq(eddy_signal_signum(w), SIGUSR1);
    t.stop_me = w;
    eddy_set_timeout(loop, 1, raise_usr1, NULL);
    cr_assert(loop_ends_by_itself(loop, 5000), "the stopped watcher kept the loop alive");
    cr_assert_eq(t.calls, 1);
    cr_assert_eq(t.last_signum, SIGUSR1);
    cr_assert(pthread_equal(t.thread, pthread_self()));
    assert_all_released(loop, fds_before);
}

Test(signal, a_signal_raised_before_the_loop_runs_is_delivered_in_its_first_iteration)
{
    eddy_loop *loop = eddy_loop_new();
    struct tally t = {0};
    t.stop_me = eddy_signal_start(loop, SIGUSR1, count_signal, &t);
    raise(SIGUSR1);
    cr_assert_eq(t.calls, 0, "a watcher runs on the loop, never in the handler");
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_ONCE), 0);
    cr_assert_eq(t.calls, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void order_a(int signum, void *ctx)
{
    (void)signum;
    strcat(((struct tally *)ctx)->order, "a");
}

static void order_b(int signum, void *ctx)
{
    (void)signum;
    strcat(((struct tally *)ctx)->order, "b");
}

Test(signal, two_watchers_of_one_signal_both_run_in_start_order)
{
    eddy_loop *loop = eddy_loop_new();
    struct tally t = {0};
    eddy_signal *a = eddy_signal_start(loop, SIGUSR1, order_a, &t);
    eddy_signal *b = eddy_signal_start(loop, SIGUSR1, order_b, &t);
    eddy_signal *other = eddy_signal_start(loop, SIGUSR2, count_signal, &t);
    raise(SIGUSR1);
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_str_eq(t.order, "ab");
    cr_assert_eq(t.calls, 0, "the SIGUSR2 watcher heard SIGUSR1");
    raise(SIGUSR1);
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_str_eq(t.order, "abab");
    eddy_signal_stop(a);
    eddy_signal_stop(b);
    eddy_signal_stop(other);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(signal, a_watcher_stopped_inside_a_callback_is_not_called_again)
{
    eddy_loop *loop = eddy_loop_new();
    struct tally first = {0}, second = {0};
    eddy_signal *a = eddy_signal_start(loop, SIGUSR1, count_signal, &first);
    eddy_signal *b = eddy_signal_start(loop, SIGUSR1, count_signal, &second);
    first.stop_me = a;    /* a stops itself ... */
    first.stop_other = b; /* ... and b, which comes after it in this same dispatch */
    raise(SIGUSR1);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(first.calls, 1);
    cr_assert_eq(second.calls, 0, "a watcher stopped earlier in the dispatch still ran");
    cr_assert_eq(eddy_loop_free(loop), 0);
}

struct thread_loop {
    eddy_loop *loop;
    struct tally tally;
    pthread_barrier_t *ready;
};

static void *run_watching_loop(void *arg)
{
    struct thread_loop *tl = arg;
    tl->loop = eddy_loop_new();
    tl->tally.stop_me = eddy_signal_start(tl->loop, SIGUSR2, count_signal, &tl->tally);
    pthread_barrier_wait(tl->ready);
    run_loop_for(tl->loop, 5000);
    eddy_signal_stop(tl->tally.calls ? NULL : tl->tally.stop_me);
    return NULL;
}

Test(signal, two_loops_in_two_threads_both_hear_one_process_signal)
{
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, 3);
    struct thread_loop tl[2] = {{.ready = &ready}, {.ready = &ready}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, run_watching_loop, &tl[i]);
    pthread_barrier_wait(&ready);
    kill(getpid(), SIGUSR2); /* process-directed: the kernel picks one thread to run it */
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(tl[i].tally.calls, 1, "loop %d heard SIGUSR2 %d times", i, tl[i].tally.calls);
        cr_assert(pthread_equal(tl[i].tally.thread, th[i]), "a watcher ran off its loop's thread");
        cr_assert_eq(eddy_loop_free(tl[i].loop), 0);
    }
    pthread_barrier_destroy(&ready);
}

static void noop(void *arg)
{
    (void)arg;
}

Test(signal, a_watcher_keeps_the_loop_alive_until_unreferenced)
{
    eddy_loop *loop = eddy_loop_new();
    struct tally t = {0};
    eddy_signal *w = eddy_signal_start(loop, SIGUSR1, count_signal, &t);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 1, "a referenced watcher is work");
    eddy_signal_unref(w);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    raise(SIGUSR1);
    eddy_set_immediate(loop, noop, NULL); /* something else keeps the loop running */
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_eq(t.calls, 1, "an unreferenced watcher still fires while the loop runs");
    eddy_signal_ref(w);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 1);
    cr_assert_eq(eddy_loop_free(loop), -EBUSY, "a live watcher is a handle");
    eddy_signal_stop(w);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static volatile sig_atomic_t previous_handler_calls;

static void previous_handler(int signum)
{
    (void)signum;
    previous_handler_calls++;
}

Test(signal, the_previous_disposition_is_restored_when_the_last_watcher_stops)
{
    struct sigaction sa = {0}, old;
    sa.sa_handler = previous_handler;
    sigaction(SIGUSR1, &sa, &old);
    eddy_loop *a = eddy_loop_new(), *b = eddy_loop_new();
    struct tally t = {0};
    eddy_signal *wa = eddy_signal_start(a, SIGUSR1, count_signal, &t);
    eddy_signal *wb = eddy_signal_start(b, SIGUSR1, count_signal, &t);
    raise(SIGUSR1);
    cr_assert_eq(previous_handler_calls, 0, "eddy's handler replaces the previous one");
    eddy_signal_stop(wa);
    raise(SIGUSR1);
    cr_assert_eq(previous_handler_calls, 0, "loop b still watches");
    eddy_loop_run(b, EDDY_RUN_NOWAIT);
    cr_assert_eq(t.calls, 1, "two raises before one dispatch are coalesced");
    eddy_signal_stop(wb);
    raise(SIGUSR1);
    cr_assert_eq(previous_handler_calls, 1);
    cr_assert_eq(eddy_loop_free(a), 0);
    cr_assert_eq(eddy_loop_free(b), 0);
    sigaction(SIGUSR1, &old, NULL);
}

Test(signal, signals_that_cannot_be_caught_are_einval)
{
    eddy_loop *loop = eddy_loop_new();
    struct tally t = {0};
    int err = 1;
    cr_assert_null(eddy_signal_start_ex(loop, SIGKILL, count_signal, &t, &err));
    cr_assert_eq(err, -EINVAL);
    const int bad[] = {0, -1, SIGSTOP, 65, 1000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(eddy_signal_start(loop, bad[i], count_signal, &t), "signum %d", bad[i]);
    cr_assert_null(eddy_signal_start(NULL, SIGUSR1, count_signal, &t));
    cr_assert_null(eddy_signal_start(loop, SIGUSR1, NULL, &t));
    eddy_signal *w = eddy_signal_start_ex(loop, SIGUSR1, count_signal, &t, &err);
    cr_assert_not_null(w);
    cr_assert_eq(err, 0);
    eddy_signal_stop(w);
    eddy_signal_stop(NULL);
    eddy_signal_unref(NULL);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void never(void *arg)
{
    (void)arg;
    cr_assert_fail("a timer cleared by eddy_loop_close_all ran");
}

static void never_signal(int signum, void *ctx)
{
    (void)signum;
    (void)ctx;
    cr_assert_fail("a watcher stopped by eddy_loop_close_all ran");
}

Test(close_all, clears_timers_immediates_and_watchers_so_that_the_loop_frees)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_set_timeout(loop, 10, never, NULL);
    eddy_timer_unref(eddy_set_timeout(loop, 20, never, NULL));
    eddy_set_interval(loop, 5, never, NULL);
    eddy_set_immediate(loop, never, NULL);
    eddy_signal_start(loop, SIGUSR1, never_signal, NULL);
    eddy_signal_unref(eddy_signal_start(loop, SIGUSR2, never_signal, NULL));
    cr_assert_eq(eddy_loop_free(loop), -EBUSY);
    cr_assert_eq(eddy_loop_close_all(loop), 6);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(eddy_loop_close_all(loop), 0);
    assert_all_released(loop, fds_before);
    cr_assert_eq(eddy_loop_close_all(NULL), -EINVAL);
}

struct closing {
    eddy_loop *loop;
    int ticks;
};

static void tick_then_close_all(void *arg)
{
    struct closing *c = arg;
    if (++c->ticks == 3)
        eddy_loop_close_all(c->loop); /* clears this running interval too */
}

Test(close_all, works_from_inside_a_running_interval_and_keeps_embedded_timers)
{
    eddy_loop *loop = eddy_loop_new();
    struct closing c = {loop, 0};
    eddy_set_interval(loop, 1, tick_then_close_all, &c);
    for (int i = 0; i < 50; i++)
        eddy_set_timeout(loop, 1000 + (uint64_t)i, never, NULL);
    /* close_all clears every public timer, a watchdog's too: SIGALRM bounds the test. */
    alarm(10);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    alarm(0);
    cr_assert_eq(c.ticks, 3);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* Node's exit pattern for what the loop does not own: close the server, destroy the
 * sockets, run the loop until their 'close' events are out, then free. */
static void on_sigint_close(int signum, void *ctx)
{
    (void)signum;
    net_pair *p = ctx;
    eddy_server_close(p->server, NULL, NULL);
    eddy_socket_destroy(p->client);
    eddy_loop_close_all(p->loop); /* the watcher itself (and any timer) */
}

static void client_ready_raise(net_pair *p)
{
    eddy_signal_start(p->loop, SIGINT, on_sigint_close, p);
    raise(SIGINT);
}

Test(close_all, sigint_then_server_close_and_destroy_lets_the_loop_free)
{
    net_pair p = {0};
    p.keep_server = true;
    p.client_ready = client_ready_raise;
    net_pair_start(&p, NULL);
    alarm(10);
    cr_assert_eq(eddy_loop_run(p.loop, EDDY_RUN_DEFAULT), 0);
    alarm(0);
    assert_all_released(p.loop, p.fds_before);
}
