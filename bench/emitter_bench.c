/* What an emit costs: emits per second through eddy__emit_id (the library's own events)
 * with 1 and 5 listeners, and through eddy_emit with a built-in and a user event name,
 * against a plain indirect call, the least a listener call can cost. Each figure is the
 * median of several runs, so that a preempted run does not skew it.
 *
 *   emitter_bench [iterations per run, default 20000000] */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "eddy.h"
#include "emitter/emitter_internal.h"

#define RUNS 7

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The listener does the least a real one does: touch its context. */
static void count_call(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ++*(uint64_t *)ctx;
}

/* volatile: the compiler must really load the pointer and call through it. */
static void (*volatile floor_fn)(const eddy_event *, void *) = count_call;

enum scenario { FLOOR, ID_1, ID_5, NAME_BUILTIN_1, NAME_USER_1, NAME_USER_AMONG_8 };

static const char *const scenario_names[] = {
    [FLOOR] = "indirect call (floor)",
    [ID_1] = "eddy__emit_id, 1 listener",
    [ID_5] = "eddy__emit_id, 5 listeners",
    [NAME_BUILTIN_1] = "eddy_emit \"data\", 1 listener",
    [NAME_USER_1] = "eddy_emit user event, 1 listener",
    [NAME_USER_AMONG_8] = "eddy_emit user event (8th of 8), 1",
};

/* Nanoseconds per emit for one run of n emits. */
static double run_once(enum scenario s, eddy_emitter *e, uint64_t n, uint64_t *calls)
{
    eddy_event ev = {0};
    uint64_t start = now_ns();
    switch (s) {
    case FLOOR:
        for (uint64_t i = 0; i < n; i++)
            floor_fn(&ev, calls);
        break;
    case ID_1:
    case ID_5:
        for (uint64_t i = 0; i < n; i++)
            eddy__emit_id(e, EDDY__EV_DATA, &ev);
        break;
    case NAME_BUILTIN_1:
        for (uint64_t i = 0; i < n; i++)
            eddy_emit(e, "data", &ev);
        break;
    case NAME_USER_1:
        for (uint64_t i = 0; i < n; i++)
            eddy_emit(e, "message", &ev);
        break;
    case NAME_USER_AMONG_8:
        for (uint64_t i = 0; i < n; i++)
            eddy_emit(e, "user-event-7", &ev);
        break;
    }
    return (double)(now_ns() - start) / (double)n;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_ns(enum scenario s, uint64_t n)
{
    eddy_emitter *e = eddy_emitter_new();
    uint64_t calls = 0;
    if (!e) {
        fprintf(stderr, "emitter_bench: out of memory\n");
        exit(1);
    }
    int listeners = s == ID_5 ? 5 : 1;
    for (int i = 0; i < listeners; i++) {
        int rc = 0;
        if (s == NAME_USER_1)
            rc = eddy_on(e, "message", count_call, &calls);
        else if (s == NAME_USER_AMONG_8)
            for (int k = 0; k < 8 && rc == 0; k++) {
                char name[32];
                snprintf(name, sizeof name, "user-event-%d", k);
                rc = eddy_on(e, name, count_call, &calls);
            }
        else
            rc = eddy_on(e, "data", count_call, &calls);
        if (rc < 0) {
            fprintf(stderr, "emitter_bench: eddy_on: %s\n", eddy_strerror(rc));
            exit(1);
        }
    }

    double runs[RUNS];
    run_once(s, e, n / 10, &calls); /* warm the caches and the branch predictors */
    for (int r = 0; r < RUNS; r++)
        runs[r] = run_once(s, e, n, &calls);
    qsort(runs, RUNS, sizeof runs[0], compare_double);

    uint64_t expected = (n / 10 + (uint64_t)RUNS * n) * (uint64_t)listeners;
    if (calls != expected) {
        fprintf(stderr, "emitter_bench: %s: %llu calls, expected %llu\n", scenario_names[s],
                (unsigned long long)calls, (unsigned long long)expected);
        exit(1);
    }
    eddy_emitter_free(e);
    return runs[RUNS / 2];
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000u;
    if (n < 10) n = 10;

    printf("eddy emitter: median of %d runs of %llu emits\n\n", RUNS, (unsigned long long)n);
    printf("%-36s %10s %12s %9s\n", "scenario", "ns/emit", "Memits/s", "x floor");
    double floor_ns = 0;
    for (enum scenario s = FLOOR; s <= NAME_USER_AMONG_8; s++) {
        double ns = median_ns(s, n);
        if (s == FLOOR) floor_ns = ns;
        printf("%-36s %10.2f %12.1f %9.1f\n", scenario_names[s], ns, 1e3 / ns, ns / floor_ns);
    }
    return 0;
}
