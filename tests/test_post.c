#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "loop/backend.h"

enum { THREADS = 4, POSTS = 10000 };

struct tally {
    eddy_loop *loop;
    unsigned char seen[THREADS][POSTS];
    int last[THREADS];
    bool in_order;
    int total;
};

struct item {
    struct tally *tally;
    int thread, index;
};

static void on_post(void *arg)
{
    struct item *it = arg;
    struct tally *t = it->tally;
    t->seen[it->thread][it->index]++;
    if (it->index != t->last[it->thread] + 1)
        t->in_order = false;
    t->last[it->thread] = it->index;
    if (++t->total == THREADS * POSTS)
        eddy_loop_stop(t->loop);
}

struct producer {
    struct tally *tally;
    struct item *items;
    int thread;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < POSTS; i++) {
        p->items[i] = (struct item){p->tally, p->thread, i};
        cr_assert_eq(eddy_loop_post(p->tally->loop, on_post, &p->items[i]), 0);
    }
    return NULL;
}

/* Keeps the loop waiting for posts; if one is lost, stops it so the test fails, not hangs. */
static void give_up(void *arg)
{
    eddy_loop_stop(arg);
}

Test(post, posts_from_four_threads_are_each_delivered_exactly_once_in_post_order)
{
    struct tally *t = calloc(1, sizeof *t);
    t->loop = eddy_loop_new();
    t->in_order = true;
    for (int i = 0; i < THREADS; i++)
        t->last[i] = -1;
    /* the loop must wait for posts, so something keeps it alive until the last one */
    eddy_timer *guard = eddy_set_timeout(t->loop, 20000, give_up, t->loop);
    struct producer prod[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        prod[i] = (struct producer){t, calloc(POSTS, sizeof(struct item)), i};
        pthread_create(&tid[i], NULL, produce, &prod[i]);
    }
    eddy_loop_run(t->loop, EDDY_RUN_DEFAULT);
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    cr_assert_eq(t->total, THREADS * POSTS);
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < POSTS; j++)
            cr_assert_eq(t->seen[i][j], 1);
    cr_assert(t->in_order, "each thread's posts ran in the order posted");
    eddy_clear_timer(guard);
    cr_assert_eq(eddy_loop_free(t->loop), 0);
    for (int i = 0; i < THREADS; i++)
        free(prod[i].items);
    free(t);
}

static void count(void *arg)
{
    (*(int *)arg)++;
}

Test(post, a_pending_post_keeps_the_loop_alive)
{
    eddy_loop *loop = eddy_loop_new();
    int ran = 0;
    cr_assert_eq(eddy_loop_post(loop, count, &ran), 0);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(ran, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(post, post_rejects_null_arguments)
{
    eddy_loop *loop = eddy_loop_new();
    cr_assert_eq(eddy_loop_post(NULL, count, NULL), -EINVAL);
    cr_assert_eq(eddy_loop_post(loop, NULL, NULL), -EINVAL);
    eddy_loop_free(loop);
}

Test(post, posts_left_when_the_loop_is_freed_are_released)
{
    eddy_loop *loop = eddy_loop_new();
    int ran = 0;
    eddy_loop_post(loop, count, &ran);
    cr_assert_eq(eddy_loop_free(loop), 0); /* valgrind checks the node was freed */
    cr_assert_eq(ran, 0);
}

/* ---- the wakeup descriptor, made by the first post ---- */

/* How many descriptors the loop's post wakeup takes: 1 (eventfd) or 2 (pipe). */
static int wakeup_width(const eddy_loop *loop)
{
    cr_assert_geq(loop->post_fd_read, 0, "the loop has no post wakeup");
    return loop->post_fd_read == loop->post_fd_write ? 1 : 2;
}

/* This process's eventfds and pipe ends: a post wakeup is one eventfd, or a pipe's two
 * ends where there is no eventfd (tests/meson.build runs this file on such a kernel too). */
static int wakeup_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[64];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strcmp(target, "anon_inode:[eventfd]") == 0 || strncmp(target, "pipe:", 5) == 0;
        }
    }
    closedir(d);
    return n;
}

#if EDDY__BACKEND_WATCH_ANY_THREAD
Test(post, a_loop_that_never_posts_has_no_wakeup_descriptor)
{
    int before = wakeup_fd_count();
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
    int ran = 0;
    cr_assert_not_null(eddy_set_timeout(loop, 1, count, &ran));
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(ran, 1);
    cr_assert_eq(wakeup_fd_count(), before, "a loop that never posted made a wakeup");
    cr_assert_lt(loop->post_fd_read, 0);
    cr_assert_eq(eddy_loop_post(loop, count, &ran), 0);
    int width = wakeup_width(loop);
    cr_assert_eq(wakeup_fd_count(), before + width, "the first post made no wakeup");
    cr_assert_eq(eddy_loop_post(loop, count, &ran), 0);
    cr_assert_eq(wakeup_fd_count(), before + width, "a second post made another wakeup");
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(ran, 3);
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_eq(wakeup_fd_count(), before, "the wakeup outlived its loop");
}
#endif

struct first_post {
    eddy_loop *loop;
    pthread_barrier_t *start;
    int ran;           /* on the loop thread */
    atomic_int posted; /* by the posting threads */
};

static void first_post_ran(void *arg)
{
    struct first_post *f = arg;
    if (++f->ran == THREADS)
        eddy_loop_stop(f->loop);
}

static void *post_at_once(void *arg)
{
    struct first_post *f = arg;
    pthread_barrier_wait(f->start);
    if (eddy_loop_post(f->loop, first_post_ran, f) == 0)
        atomic_fetch_add(&f->posted, 1);
    return NULL;
}

/* THREADS threads make the first post of a loop at the same moment, while the loop thread
 * waits in the backend (a referenced 10 s timer keeps it there): every post runs, the
 * waiting loop wakes, and there is one wakeup descriptor. */
Test(post, first_posts_from_racing_threads_make_one_wakeup_and_wake_the_waiting_loop)
{
    enum { ROUNDS = 40 };
    int before = wakeup_fd_count();
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS + 1);
        struct first_post f = {.loop = eddy_loop_new(), .start = &start};
        cr_assert_not_null(f.loop);
        atomic_init(&f.posted, 0);
        eddy_timer *guard = eddy_set_timeout(f.loop, 10000, give_up, f.loop);
        pthread_t th[THREADS];
        for (int i = 0; i < THREADS; i++)
            cr_assert_eq(pthread_create(&th[i], NULL, post_at_once, &f), 0);
        pthread_barrier_wait(&start);
        /* half the rounds: the loop already waits when the posts come */
        if (round % 2)
            usleep(2000);
        uint64_t t0 = mono_ns();
        eddy_loop_run(f.loop, EDDY_RUN_DEFAULT);
        uint64_t ms = (mono_ns() - t0) / 1000000u;
        for (int i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        cr_assert_eq(atomic_load(&f.posted), THREADS);
        cr_assert_eq(f.ran, THREADS, "round %d: %d of %d posts ran", round, f.ran, THREADS);
        cr_assert_lt(ms, 5000, "round %d: the first posts did not wake the loop", round);
        cr_assert_eq(wakeup_fd_count(), before + wakeup_width(f.loop),
                     "round %d: not exactly one wakeup", round);
        eddy_clear_timer(guard);
        cr_assert_eq(eddy_loop_free(f.loop), 0);
        pthread_barrier_destroy(&start);
    }
    cr_assert_eq(wakeup_fd_count(), before);
}

#if EDDY__BACKEND_WATCH_ANY_THREAD
/* Out of descriptors at the first post: the post says so, and nothing is queued. */
Test(post, post_returns_the_error_when_its_wakeup_cannot_be_made)
{
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
    struct rlimit old;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    int lowest = dup(0); /* every fd below it is in use */
    cr_assert_geq(lowest, 0);
    close(lowest);
    struct rlimit tight = {.rlim_cur = (rlim_t)lowest, .rlim_max = old.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
    int ran = 0;
    int err = eddy_loop_post(loop, count, &ran);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    cr_assert_eq(err, -EMFILE, "eddy_loop_post without a descriptor to spare: %d", err);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_NOWAIT), 0, "a failed post keeps the loop alive");
    cr_assert_eq(ran, 0);
    /* with a descriptor again, posting works */
    cr_assert_eq(eddy_loop_post(loop, count, &ran), 0);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(ran, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
#endif
