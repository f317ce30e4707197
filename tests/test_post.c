#include <criterion/criterion.h>
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>

#include "eddy.h"
#include "helpers.h"

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
