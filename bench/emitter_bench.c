/* What an emit costs: emits per second through eddy__emit_id (the library's own events)
 * with 1 and 5 listeners, and through eddy_emit with a built-in and a user event name,
 * against a plain indirect call, the least a listener call can cost. Each figure is the
 * median of several rounds, so that a preempted run does not skew it.
 *
 *   emitter_bench [emits per scenario and round, default 5000000] */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "eddy.h"
#include "emitter/emitter_internal.h"

#define RUNS 11

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

enum scenario { FLOOR, ID_1, ID_5, NAME_BUILTIN_1, NAME_USER_1, NAME_USER_AMONG_8, SCENARIOS };

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
    case SCENARIOS:
        break;
    }
    return (double)(now_ns() - start) / (double)n;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], compare_double);
    return v[n / 2];
}

/* Listener calls per emit (the floor: one plain call). */
static int listeners_of(enum scenario s)
{
    return s == ID_5 ? 5 : 1;
}

static eddy_emitter *emitter_for(enum scenario s, uint64_t *calls)
{
    eddy_emitter *e = eddy_emitter_new();
    if (!e) {
        fprintf(stderr, "emitter_bench: out of memory\n");
        exit(1);
    }
    int rc = 0;
    if (s == NAME_USER_AMONG_8) {
        /* Seven other user events first: the lookup has to pass them. */
        for (int k = 0; k < 8 && rc == 0; k++) {
            char name[32];
            snprintf(name, sizeof name, "user-event-%d", k);
            rc = eddy_on(e, name, count_call, calls);
        }
    }
    for (int i = 0; i < listeners_of(s) && rc == 0 && s != FLOOR && s != NAME_USER_AMONG_8; i++)
        rc = eddy_on(e, s == NAME_USER_1 ? "message" : "data", count_call, calls);
    if (rc < 0) {
        fprintf(stderr, "emitter_bench: eddy_on: %s\n", eddy_strerror(rc));
        exit(1);
    }
    return e;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000u;
    if (n < 10) n = 10;

    eddy_emitter *emitters[SCENARIOS];
    uint64_t calls[SCENARIOS] = {0};
    for (int s = 0; s < SCENARIOS; s++) {
        emitters[s] = emitter_for((enum scenario)s, &calls[s]);
        run_once((enum scenario)s, emitters[s], n / 10, &calls[s]); /* warm up */
    }

    /* Scenarios take turns within each round, so that a noisy moment on a shared machine
     * hits them all, and each is also compared with the floor of its own round. */
    double ns[SCENARIOS][RUNS], ratio[SCENARIOS][RUNS];
    for (int r = 0; r < RUNS; r++)
        for (int s = 0; s < SCENARIOS; s++) {
            ns[s][r] = run_once((enum scenario)s, emitters[s], n, &calls[s]);
            ratio[s][r] = ns[s][r] / ns[FLOOR][r];
        }

    printf("eddy emitter: median of %d rounds of %llu emits per scenario\n\n", RUNS,
           (unsigned long long)n);
    printf("%-36s %10s %12s %9s\n", "scenario", "ns/emit", "Memits/s", "x floor");
    for (int s = 0; s < SCENARIOS; s++) {
        uint64_t expected =
            (n / 10 + (uint64_t)RUNS * n) * (uint64_t)listeners_of((enum scenario)s);
        if (calls[s] != expected) {
            fprintf(stderr, "emitter_bench: %s: %llu listener calls, expected %llu\n",
                    scenario_names[s], (unsigned long long)calls[s], (unsigned long long)expected);
            return 1;
        }
        double t = median(ns[s], RUNS);
        printf("%-36s %10.2f %12.1f %9.1f\n", scenario_names[s], t, 1e3 / t,
               median(ratio[s], RUNS));
        eddy_emitter_free(emitters[s]);
    }
    return 0;
}
