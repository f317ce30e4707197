#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>

#include "eddy.h"
#include "helpers.h"
#include "loop/loop_internal.h"

struct order {
    int seen[16];
    int n;
};
struct tagged {
    struct order *o;
    int tag;
};

static void record(void *arg)
{
    struct tagged *t = arg;
    t->o->seen[t->o->n++] = t->tag;
}

Test(timer, timers_with_the_same_delay_fire_in_the_order_they_were_set)
{
    eddy_loop *loop = eddy_loop_new();
    struct order o = {0};
    struct tagged tags[8];
    for (int i = 0; i < 8; i++) {
        tags[i] = (struct tagged){&o, i};
        cr_assert_not_null(eddy_set_timeout(loop, 5, record, &tags[i]));
    }
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(o.n, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(o.seen[i], i);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* Each deadline comes from a fresh clock read at set time, so on a loaded machine (valgrind,
 * 2 cores) the three calls may be more than 10 ms apart and "10 ms set last" may be due
 * after "30 ms set first". What must hold is the order of the deadlines the library
 * gave them, which is 10, 20, 30 whenever the calls were quick. */
Test(timer, shorter_delays_fire_first)
{
    eddy_loop *loop = eddy_loop_new();
    struct order o = {0};
    struct tagged tags[3] = {{&o, 30}, {&o, 10}, {&o, 20}};
    eddy_timer *timers[3];
    for (int i = 0; i < 3; i++)
        cr_assert_not_null(timers[i] =
                               eddy_set_timeout(loop, (uint64_t)tags[i].tag, record, &tags[i]));
    int want[3], n = 0;
    bool used[3] = {false, false, false};
    for (; n < 3; n++) { /* the tags by (deadline, set order) */
        int best = -1;
        for (int i = 0; i < 3; i++)
            if (!used[i] && (best < 0 || timers[i]->deadline_ns < timers[best]->deadline_ns))
                best = i;
        used[best] = true;
        want[n] = tags[best].tag;
    }
    bool quick = timers[1]->deadline_ns < timers[2]->deadline_ns &&
                 timers[2]->deadline_ns < timers[0]->deadline_ns;
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(o.n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(o.seen[i], want[i], "fired %d %d %d", o.seen[0], o.seen[1], o.seen[2]);
    if (quick) {
        cr_assert_eq(o.seen[0], 10);
        cr_assert_eq(o.seen[2], 30);
    }
    eddy_loop_free(loop);
}

struct early {
    uint64_t set_ns;
    uint64_t delay_ms;
    uint64_t fired_ns;
};

static void note_fire(void *arg)
{
    ((struct early *)arg)->fired_ns = mono_ns();
}

Test(timer, a_timer_never_fires_before_its_full_delay)
{
    eddy_loop *loop = eddy_loop_new();
    struct early e[40];
    for (int i = 0; i < 40; i++) {
        e[i].delay_ms = (uint64_t)(i % 7) + 1;
        e[i].set_ns = mono_ns();
        e[i].fired_ns = 0;
        eddy_set_timeout(loop, e[i].delay_ms, note_fire, &e[i]);
        /* sets are spread over time so that they fall at many sub-ms offsets */
        struct timespec ts = {0, 137000};
        nanosleep(&ts, NULL);
    }
    cr_assert(run_loop_for(loop, 5000));
    for (int i = 0; i < 40; i++) {
        cr_assert_neq(e[i].fired_ns, 0);
        cr_assert_geq(e[i].fired_ns - e[i].set_ns, e[i].delay_ms * 1000000u, "timer %d early", i);
    }
    eddy_loop_free(loop);
}

struct ticks {
    eddy_timer *timer;
    uint64_t at_ns[50];
    uint64_t next_deadline_ns[50];
    int n;
};

static void tick(void *arg)
{
    struct ticks *t = arg;
    t->at_ns[t->n] = eddy__clock_ns();
    /* the timer is rescheduled before its callback runs: this is the next deadline */
    t->next_deadline_ns[t->n] = t->timer->deadline_ns;
    t->n++;
    /* burn 2 ms in each tick: an interval rescheduled from "now" would drift by that */
    uint64_t until = eddy__clock_ns() + 2000000u;
    while (eddy__clock_ns() < until)
        ;
    if (t->n == 50)
        eddy_clear_timer(t->timer);
}

Test(timer, an_interval_does_not_drift_over_50_ticks)
{
    eddy_loop *loop = eddy_loop_new();
    struct ticks t = {0};
    t.timer = eddy_set_interval(loop, 5, tick, &t);
    uint64_t first_deadline = t.timer->deadline_ns;
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(t.n, 50);
    /* Every deadline stays on the grid first + k * 5 ms, whatever the callbacks cost and
     * however late a loaded machine ran them (a tick missed while the loop was blocked is
     * skipped, which keeps the grid), and no tick runs before its deadline. Checking the
     * schedule rather than the wall clock makes this hold on a noisy machine. */
    uint64_t prev = first_deadline;
    for (int k = 0; k < 50; k++) {
        uint64_t next = t.next_deadline_ns[k];
        cr_assert_eq((next - first_deadline) % 5000000u, 0, "tick %d left the grid", k);
        cr_assert_gt(next, prev);
        uint64_t own = next - 5000000u; /* this tick's deadline */
        cr_assert_geq(t.at_ns[k], own, "tick %d ran early", k);
        prev = next;
    }
    eddy_loop_free(loop);
}

struct self_clear {
    eddy_timer *timer;
    int calls;
};

static void clear_self(void *arg)
{
    struct self_clear *s = arg;
    s->calls++;
    eddy_clear_timer(s->timer);
    eddy_clear_timer(s->timer); /* twice is harmless too */
}

Test(timer, an_interval_cleared_from_its_own_callback_stops)
{
    eddy_loop *loop = eddy_loop_new();
    struct self_clear s = {0};
    s.timer = eddy_set_interval(loop, 1, clear_self, &s);
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(eddy_loop_free(loop), 0, "the cleared timer was released");
}

Test(timer, a_timeout_cleared_from_its_own_callback_is_released_once)
{
    eddy_loop *loop = eddy_loop_new();
    struct self_clear s = {0};
    s.timer = eddy_set_timeout(loop, 1, clear_self, &s);
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(s.calls, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void count(void *arg)
{
    (*(int *)arg)++;
}

Test(timer, a_cleared_timer_never_fires)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_timer *t = eddy_set_timeout(loop, 1, count, &fired);
    eddy_clear_timer(t);
    eddy_clear_timer(NULL);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

struct clear_other {
    eddy_timer *victim;
    int fired;
};

static void clear_victim(void *arg)
{
    eddy_clear_timer(((struct clear_other *)arg)->victim);
}

Test(timer, a_timer_due_in_the_same_pass_can_be_cleared_by_an_earlier_one)
{
    eddy_loop *loop = eddy_loop_new();
    struct clear_other c = {0};
    eddy_set_timeout(loop, 2, clear_victim, &c);
    c.victim = eddy_set_timeout(loop, 2, count, &c.fired);
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL); /* both are due when the loop looks */
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(c.fired, 0);
    eddy_loop_free(loop);
}

Test(timer, one_million_timers_are_inserted_and_cancelled)
{
    eddy_loop *loop = eddy_loop_new();
    enum { N = 1000000 };
    eddy_timer **t = malloc(N * sizeof *t);
    int fired = 0;
    uint32_t rng = 12345;
    for (int i = 0; i < N; i++) {
        rng = rng * 1103515245u + 12345u;
        t[i] = eddy_set_timeout(loop, 60000 + (rng >> 8) % 100000, count, &fired);
        cr_assert_not_null(t[i]);
    }
    /* cancel in an order unrelated to the heap's */
    for (int i = 0; i < N; i += 2)
        eddy_clear_timer(t[i]);
    for (int i = N - 1; i > 0; i -= 2)
        eddy_clear_timer(t[i]);
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0, "nothing left alive");
    cr_assert_eq(fired, 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
    free(t);
}

struct due {
    uint64_t deadline_ns, seq; /* as the library scheduled it */
    uint64_t fired_order;
    uint64_t *counter;
};

static void note_order(void *arg)
{
    struct due *d = arg;
    d->fired_order = ++*d->counter;
}

Test(timer, many_timers_fire_in_deadline_order)
{
    eddy_loop *loop = eddy_loop_new();
    enum { N = 2000 };
    static struct due d[N];
    uint64_t counter = 0;
    uint32_t rng = 7;
    for (int i = 0; i < N; i++) {
        rng = rng * 1103515245u + 12345u;
        d[i].counter = &counter;
        d[i].fired_order = 0;
        eddy_timer *t = eddy_set_timeout(loop, (rng >> 8) % 50, note_order, &d[i]);
        d[i].deadline_ns = t->deadline_ns;
        d[i].seq = t->seq;
    }
    cr_assert(run_loop_for(loop, 20000));
    /* the order of the calls is the order of (deadline, set order), exactly */
    for (int i = 0; i < N; i++) {
        cr_assert_neq(d[i].fired_order, 0);
        for (int j = 0; j < N; j += 7) {
            bool before = d[i].deadline_ns < d[j].deadline_ns ||
                          (d[i].deadline_ns == d[j].deadline_ns && d[i].seq < d[j].seq);
            if (before)
                cr_assert_lt(d[i].fired_order, d[j].fired_order);
        }
    }
    eddy_loop_free(loop);
}

struct imm {
    eddy_loop *loop;
    int turn_of_first, turn_of_second;
    int turns;
};

static void count_turn(void *arg)
{
    ((struct imm *)arg)->turns++;
}

static void second_immediate(void *arg)
{
    struct imm *m = arg;
    m->turn_of_second = m->turns;
}

static void first_immediate(void *arg)
{
    struct imm *m = arg;
    m->turn_of_first = m->turns;
    eddy_set_immediate(m->loop, second_immediate, m);
}

Test(timer, an_immediate_set_from_an_immediate_runs_on_the_next_turn)
{
    eddy_loop *loop = eddy_loop_new();
    struct imm m = {loop, -1, -1, 0};
    eddy_set_immediate(loop, first_immediate, &m);
    /* one NOWAIT run is one turn */
    for (int i = 0; i < 5; i++) {
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
        count_turn(&m);
    }
    cr_assert_eq(m.turn_of_first, 0);
    cr_assert_eq(m.turn_of_second, 1);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(timer, immediates_run_in_the_order_set_and_keep_the_loop_alive)
{
    eddy_loop *loop = eddy_loop_new();
    struct order o = {0};
    struct tagged tags[4];
    for (int i = 0; i < 4; i++) {
        tags[i] = (struct tagged){&o, i};
        eddy_set_immediate(loop, record, &tags[i]);
    }
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(o.n, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(o.seen[i], i);
    eddy_loop_free(loop);
}

Test(timer, a_cleared_immediate_does_not_run)
{
    eddy_loop *loop = eddy_loop_new();
    int fired = 0;
    eddy_clear_timer(eddy_set_immediate(loop, count, &fired));
    cr_assert_eq(eddy_loop_run(loop, EDDY_RUN_DEFAULT), 0);
    cr_assert_eq(fired, 0);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(timer, set_rejects_a_null_loop_or_callback)
{
    eddy_loop *loop = eddy_loop_new();
    cr_assert_null(eddy_set_timeout(NULL, 1, count, NULL));
    cr_assert_null(eddy_set_timeout(loop, 1, NULL, NULL));
    cr_assert_null(eddy_set_immediate(loop, NULL, NULL));
    cr_assert_eq(eddy_loop_free(loop), 0);
}
