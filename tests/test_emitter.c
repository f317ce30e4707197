/* The EventEmitter, against Node's EventEmitter semantics. Each test runs in its own
 * process (Criterion), so the small globals below start fresh in every test. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "emitter/emitter_internal.h"

/* ---- helpers -------------------------------------------------------------------- */

/* What the listeners did, in order: each appends its label. */
static char trace[1024];

static void record(const eddy_event *ev, void *label)
{
    (void)ev;
    strcat(trace, (const char *)label);
}

/* Labels whose address matters: eddy_off finds a listener by (fn, ctx), and two equal
 * string literals need not share an address. */
static char A[] = "A", B[] = "B", N[] = "N";

/* The emitter the listeners below act on. */
static eddy_emitter *em;

static const eddy_event *last_event;
static eddy_event seen;

static void keep_event(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    last_event = ev;
    seen = *ev;
}

/* An allocator that counts calls and blocks in use, and fails the Nth call (0: never). */
static int allocations;
static int fail_at;
static int live_blocks;
static size_t last_size; /* bytes asked for by the last malloc or realloc */

static void *counting_malloc(size_t n)
{
    last_size = n;
    if (++allocations == fail_at)
        return NULL;
    void *p = malloc(n);
    live_blocks += p != NULL;
    return p;
}

static void *counting_realloc(void *p, size_t n)
{
    last_size = n;
    if (++allocations == fail_at)
        return NULL;
    void *q = realloc(p, n);
    live_blocks += !p && q;
    return q;
}

static void counting_free(void *p)
{
    live_blocks -= p != NULL;
    free(p);
}

static void use_counting_allocator(int fail_nth)
{
    allocations = 0;
    fail_at = fail_nth;
    live_blocks = 0;
    eddy_set_allocator(counting_malloc, counting_realloc, counting_free);
}

static void restore_allocator(void)
{
    eddy_set_allocator(NULL, NULL, NULL);
}

/* A server or socket as the net layer makes them: the emitter first. */
struct fake_socket {
    eddy_emitter emitter;
    int fd;
};

/* ---- order and counts ----------------------------------------------------------- */

Test(emitter, listeners_run_in_the_order_they_were_added)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, "A");
    eddy_on(e, "tick", record, "B");
    eddy_on(e, "tick", record, "C");

    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "ABC");
    eddy_emitter_free(e);
}

/* The built-in events share one array: removing a listener of an earlier event must leave
 * the later events' listeners where their emits look for them (found by a pipe whose 'end'
 * ran its 'data' listener on a freed socket). */
Test(emitter, removing_a_builtin_listener_leaves_the_other_events_listeners_in_place)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "data", record, "D");
    eddy_on(e, "end", record, "E");
    eddy_on(e, "end", record, "e");
    eddy_on(e, "close", record, "C");
    cr_assert_eq(eddy_off(e, "data", record, "D"), 0);
    eddy_emit(e, "end", NULL);
    eddy_emit(e, "close", NULL);
    eddy_emit(e, "data", NULL);
    cr_assert_str_eq(trace, "EeC");
    cr_assert_eq(eddy_off(e, "end", record, "E"), 0);
    eddy_emit(e, "close", NULL);
    eddy_emit(e, "end", NULL);
    cr_assert_str_eq(trace, "EeCCe");
    cr_assert_eq(eddy_listener_count(e, "close"), 1);
    eddy_emitter_free(e);
}

Test(emitter, prepend_listener_runs_before_the_others)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, "A");
    eddy_prepend_listener(e, "tick", record, "B");
    eddy_on(e, "tick", record, "C");
    eddy_prepend_listener(e, "tick", record, "D");

    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "DBAC");
    eddy_emitter_free(e);
}

Test(emitter, emit_returns_how_many_listeners_ran)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, "A");
    eddy_on(e, "tick", record, "B");
    eddy_on(e, "data", record, "C");

    cr_assert_eq(eddy_emit(e, "tick", NULL), 2);
    cr_assert_eq(eddy_emit(e, "data", NULL), 1);
    eddy_emitter_free(e);
}

Test(emitter, emit_without_listeners_returns_zero)
{
    eddy_emitter *e = eddy_emitter_new();
    cr_assert_eq(eddy_emit(e, "tick", NULL), 0);
    cr_assert_eq(eddy_emit(e, "data", NULL), 0);
    eddy_on(e, "other", record, "A");
    cr_assert_eq(eddy_emit(e, "tick", NULL), 0);
    cr_assert_str_eq(trace, "");
    eddy_emitter_free(e);
}

Test(emitter, listener_gets_the_name_the_target_and_a_copy_of_the_payload)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "data", keep_event, NULL);
    eddy_event ev = {.name = "ignored", .target = NULL};
    ev.u.data.bytes = "hello";
    ev.u.data.len = 5;

    eddy_emit(e, "data", &ev);

    cr_assert_str_eq(seen.name, "data");
    cr_assert_eq(seen.target, e);
    cr_assert_eq(seen.u.data.bytes, ev.u.data.bytes);
    cr_assert_eq(seen.u.data.len, 5);
    cr_assert_neq(last_event, &ev, "listeners get a copy, not the caller's event");
    cr_assert_str_eq(ev.name, "ignored", "the caller's event is left alone");
    eddy_emitter_free(e);
}

Test(emitter, emit_with_a_null_event_gives_an_empty_payload)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "close", keep_event, NULL);
    memset(&seen, 0xff, sizeof seen);

    eddy_emit(e, "close", NULL);

    cr_assert_str_eq(seen.name, "close");
    cr_assert_eq(seen.target, e);
    cr_assert_eq(seen.u.had_error, false);
    cr_assert_null(seen.u.user);
    eddy_emitter_free(e);
}

Test(emitter, user_events_with_similar_names_are_distinct)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "connect", record, "1");
    eddy_on(e, "connection", record, "2");
    eddy_on(e, "connectio", record, "3");
    eddy_on(e, "connections", record, "4");
    eddy_on(e, "dat", record, "5");
    eddy_on(e, "", record, "6");

    eddy_emit(e, "connectio", NULL);
    eddy_emit(e, "connection", NULL);
    eddy_emit(e, "", NULL);
    eddy_emit(e, "data", NULL);

    cr_assert_str_eq(trace, "326");
    cr_assert_eq(eddy_listener_count(e, "connections"), 1);
    eddy_emitter_free(e);
}

/* Every built-in name is its own id's event, and only that one: a listener added by
 * name runs for an emit by id of the same event and of no other. The names are written
 * out here, apart from the library's packed table. */
Test(emitter, every_builtin_name_is_its_ids_event)
{
    static const char *const names[EDDY__EV_BUILTIN_COUNT] = {
        [EDDY__EV_DATA] = "data",
        [EDDY__EV_END] = "end",
        [EDDY__EV_CLOSE] = "close",
        [EDDY__EV_ERROR] = "error",
        [EDDY__EV_CONNECT] = "connect",
        [EDDY__EV_CONNECTION] = "connection",
        [EDDY__EV_LISTENING] = "listening",
        [EDDY__EV_TIMEOUT] = "timeout",
        [EDDY__EV_DRAIN] = "drain",
        [EDDY__EV_FD] = "fd",
        [EDDY__EV_FINISH] = "finish",
        [EDDY__EV_READY] = "ready",
        [EDDY__EV_DROP] = "drop",
        [EDDY__EV_LOOKUP] = "lookup",
        [EDDY__EV_NEW_LISTENER] = "newListener",
        [EDDY__EV_REMOVE_LISTENER] = "removeListener",
    };
    for (int id = 0; id < EDDY__EV_BUILTIN_COUNT; id++) {
        cr_assert_not_null(names[id], "id %d has no name in this test", id);
        cr_assert_str_eq(eddy__event_name((enum eddy__event_id)id), names[id]);
        eddy_emitter *e = eddy_emitter_new();
        cr_assert_eq(eddy_on(e, names[id], record, A), 0);
        for (int other = 0; other < EDDY__EV_BUILTIN_COUNT; other++)
            if (other != EDDY__EV_ERROR || other == id) /* an unheard 'error' prints */
                cr_assert_eq(eddy__emit_id(e, (enum eddy__event_id)other, NULL), other == id,
                             "'%s' heard by id %d", names[id], other);
        cr_assert_eq(eddy__listener_count_id(e, (enum eddy__event_id)id), 1);
        eddy_emitter_free(e);
    }
    cr_assert_null(eddy__event_name(EDDY__EV_BUILTIN_COUNT));
}

Test(emitter, builtin_event_by_name_and_by_id_is_the_same_event)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "data", record, A);
    eddy__on_id(e, EDDY__EV_DATA, record, B, false);

    cr_assert_eq(eddy__emit_id(e, EDDY__EV_DATA, NULL), 2);
    cr_assert_eq(eddy_emit(e, "data", NULL), 2);
    cr_assert_str_eq(trace, "ABAB");
    cr_assert_eq(eddy_listener_count(e, "data"), 2);
    cr_assert_eq(eddy__listener_count_id(e, EDDY__EV_DATA), 2);

    eddy__off_id(e, EDDY__EV_DATA, record, A);
    cr_assert_eq(eddy_listener_count(e, "data"), 1);
    eddy_emitter_free(e);
}

Test(emitter, listener_count_counts_the_listeners_of_one_event)
{
    eddy_emitter *e = eddy_emitter_new();
    cr_assert_eq(eddy_listener_count(e, "tick"), 0);
    eddy_on(e, "tick", record, "A");
    eddy_once(e, "tick", record, "B");
    eddy_on(e, "tock", record, "C");

    cr_assert_eq(eddy_listener_count(e, "tick"), 2);
    cr_assert_eq(eddy_listener_count(e, "tock"), 1);
    cr_assert_eq(eddy_listener_count(e, "none"), 0);
    eddy_emitter_free(e);
}

/* ---- identity and removal ------------------------------------------------------- */

Test(emitter, a_listener_is_the_pair_of_function_and_context)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, A);
    eddy_on(e, "tick", record, B);

    eddy_off(e, "tick", record, A);
    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "B");
    eddy_emitter_free(e);
}

Test(emitter, off_removes_the_most_recently_added_match)
{
    eddy_emitter *e = eddy_emitter_new();
    const char *label = "A";
    eddy_on(e, "tick", record, (void *)label);
    eddy_once(e, "tick", record, (void *)label);

    eddy_off(e, "tick", record, (void *)label);
    eddy_emit(e, "tick", NULL);
    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "AA", "the plain listener stayed, the once one went");
    eddy_emitter_free(e);
}

Test(emitter, off_removes_a_once_listener)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_once(e, "tick", record, A);

    cr_assert_eq(eddy_off(e, "tick", record, A), 0);

    cr_assert_eq(eddy_emit(e, "tick", NULL), 0);
    cr_assert_str_eq(trace, "");
    eddy_emitter_free(e);
}

Test(emitter, off_of_an_unknown_listener_changes_nothing)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "removeListener", record, "R");
    eddy_on(e, "tick", record, "A");

    cr_assert_eq(eddy_off(e, "tick", record, "B"), 0);
    cr_assert_eq(eddy_off(e, "tock", record, "A"), 0);
    cr_assert_eq(eddy_off(e, "data", record, "A"), 0);

    cr_assert_eq(eddy_listener_count(e, "tick"), 1);
    cr_assert_str_eq(trace, "", "no 'removeListener' for what was never there");
    eddy_emitter_free(e);
}

Test(emitter, a_user_event_can_be_used_again_after_its_last_listener_went)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, A);
    eddy_off(e, "tick", record, A);
    cr_assert_eq(eddy_listener_count(e, "tick"), 0);

    eddy_on(e, "tick", record, "B");
    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "B");
    eddy_emitter_free(e);
}

/* ---- once ----------------------------------------------------------------------- */

Test(emitter, once_listener_runs_only_once)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_once(e, "tick", record, "A");
    eddy_on(e, "tick", record, "B");

    cr_assert_eq(eddy_emit(e, "tick", NULL), 2);
    cr_assert_eq(eddy_emit(e, "tick", NULL), 1);

    cr_assert_str_eq(trace, "ABB");
    eddy_emitter_free(e);
}

static size_t count_inside;

static void count_tick_listeners(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    count_inside = eddy_listener_count(em, "tick");
}

Test(emitter, once_listener_is_removed_before_it_runs)
{
    em = eddy_emitter_new();
    eddy_once(em, "tick", count_tick_listeners, NULL);
    count_inside = 99;

    eddy_emit(em, "tick", NULL);

    cr_assert_eq(count_inside, 0);
    eddy_emitter_free(em);
}

static int reentries;

static void once_emits_its_own_event(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    reentries++;
    eddy_emit(em, "tick", NULL);
}

Test(emitter, once_listener_emitting_its_own_event_does_not_run_again)
{
    em = eddy_emitter_new();
    eddy_once(em, "tick", once_emits_its_own_event, NULL);

    cr_assert_eq(eddy_emit(em, "tick", NULL), 1);

    cr_assert_eq(reentries, 1);
    eddy_emitter_free(em);
}

Test(emitter, prepend_once_listener_runs_first_and_only_once)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "tick", record, "A");
    eddy_prepend_once_listener(e, "tick", record, "B");

    eddy_emit(e, "tick", NULL);
    eddy_emit(e, "tick", NULL);

    cr_assert_str_eq(trace, "BAA");
    eddy_emitter_free(e);
}

static bool nested_done;

static void emit_tick_once_more(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    if (!nested_done) {
        nested_done = true;
        eddy_emit(em, "tick", NULL);
    }
}

Test(emitter, once_listener_run_by_a_nested_emit_does_not_run_again_in_the_outer_one)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", emit_tick_once_more, "A");
    eddy_once(em, "tick", record, "O");

    eddy_emit(em, "tick", NULL);

    cr_assert_str_eq(trace, "AAO", "as Node: A | A | O");
    eddy_emitter_free(em);
}

/* ---- snapshots ------------------------------------------------------------------ */

static void remove_b(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_off(em, "tick", record, B);
}

Test(emitter, listener_removed_during_an_emit_still_runs_in_that_emit)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_b, "A");
    eddy_on(em, "tick", record, B);

    cr_assert_eq(eddy_emit(em, "tick", NULL), 2);
    cr_assert_eq(eddy_emit(em, "tick", NULL), 1);

    cr_assert_str_eq(trace, "ABA");
    eddy_emitter_free(em);
}

static bool removed_then_nested;

static void remove_b_then_emit_again(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    if (!removed_then_nested) {
        removed_then_nested = true;
        eddy_off(em, "tick", record, B);
        eddy_emit(em, "tick", NULL);
    }
}

Test(emitter, listener_removed_during_an_emit_does_not_run_in_a_nested_emit_begun_after)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_b_then_emit_again, "A");
    eddy_on(em, "tick", record, B);

    eddy_emit(em, "tick", NULL);

    cr_assert_str_eq(trace, "AAB", "as Node: the nested emit no longer sees B, the outer one does");
    eddy_emitter_free(em);
}

Test(emitter, once_listener_removed_during_an_emit_still_runs_in_that_emit)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_b, "A");
    eddy_once(em, "tick", record, B);

    eddy_emit(em, "tick", NULL);
    eddy_emit(em, "tick", NULL);

    cr_assert_str_eq(trace, "ABA", "as Node: the once wrapper had not fired yet");
    eddy_emitter_free(em);
}

static size_t count_after_removal;

static void remove_b_and_count(const eddy_event *ev, void *ctx)
{
    remove_b(ev, ctx);
    count_after_removal = eddy_listener_count(em, "tick");
}

Test(emitter, listener_count_drops_at_once_when_a_listener_is_removed_during_an_emit)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_b_and_count, "A");
    eddy_on(em, "tick", record, B);

    eddy_emit(em, "tick", NULL);

    cr_assert_eq(count_after_removal, 1);
    eddy_emitter_free(em);
}

static void add_c(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_on(em, "tick", record, "C");
}

Test(emitter, listener_added_during_an_emit_runs_only_from_the_next_emit)
{
    em = eddy_emitter_new();
    eddy_once(em, "tick", add_c, "A");
    eddy_on(em, "tick", record, "B");

    cr_assert_eq(eddy_emit(em, "tick", NULL), 2);
    cr_assert_str_eq(trace, "AB");
    cr_assert_eq(eddy_emit(em, "tick", NULL), 2);
    cr_assert_str_eq(trace, "ABBC");
    eddy_emitter_free(em);
}

static void prepend_c(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_prepend_listener(em, "tick", record, "C");
}

Test(emitter, listener_prepended_during_an_emit_runs_only_from_the_next_emit)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", record, "A");
    eddy_once(em, "tick", prepend_c, "P");
    eddy_on(em, "tick", record, "B");

    cr_assert_eq(eddy_emit(em, "tick", NULL), 3);
    cr_assert_str_eq(trace, "APB", "each listener of the snapshot ran exactly once");
    cr_assert_eq(eddy_emit(em, "tick", NULL), 3);
    cr_assert_str_eq(trace, "APBCAB");
    eddy_emitter_free(em);
}

static void add_many(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    /* Enough to make the listener array move while its emit walks it. */
    for (int i = 0; i < 64; i++)
        eddy_on(em, "data", record, "n");
    for (int i = 0; i < 64; i++)
        eddy_on(em, "close", record, "n");
}

Test(emitter, listeners_added_in_bulk_during_an_emit_do_not_disturb_it)
{
    em = eddy_emitter_new();
    eddy_set_max_listeners(em, 0);
    eddy_on(em, "data", add_many, NULL);
    eddy_on(em, "data", record, "B");

    cr_assert_eq(eddy_emit(em, "data", NULL), 2);
    cr_assert_str_eq(trace, "B");
    cr_assert_eq(eddy_listener_count(em, "data"), 66);
    eddy_emitter_free(em);
}

static void remove_self(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_off(em, "tick", remove_self, ctx);
}

Test(emitter, removing_the_last_listener_during_an_emit_is_safe)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_self, "A");

    cr_assert_eq(eddy_emit(em, "tick", NULL), 1);

    cr_assert_eq(eddy_listener_count(em, "tick"), 0);
    cr_assert_eq(eddy_emit(em, "tick", NULL), 0);
    cr_assert_str_eq(trace, "A");
    eddy_emitter_free(em);
}

static void remove_everything(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_remove_all_listeners(em, NULL);
}

Test(emitter, removing_every_listener_during_an_emit_is_safe)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", remove_everything, "A");
    eddy_on(em, "data", record, "B");
    eddy_on(em, "user", record, "U");

    cr_assert_eq(eddy_emit(em, "data", NULL), 2);

    cr_assert_str_eq(trace, "AB");
    cr_assert_eq(eddy_listener_count(em, "data"), 0);
    cr_assert_eq(eddy_listener_count(em, "user"), 0);
    eddy_emitter_free(em);
}

Test(emitter, emit_allocates_nothing_even_when_listeners_remove_themselves)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", remove_self, "A");
    eddy_once(em, "tick", record, "B");
    eddy_on(em, "tick", record, "C");
    eddy_on(em, "data", record, "D");

    use_counting_allocator(0);
    eddy_emit(em, "tick", NULL);
    eddy_emit(em, "tick", NULL);
    eddy__emit_id(em, EDDY__EV_DATA, NULL);
    int during_emits = allocations;
    restore_allocator();

    cr_assert_eq(during_emits, 0);
    cr_assert_str_eq(trace, "ABCCD");
    eddy_emitter_free(em);
}

/* ---- 'newListener' and 'removeListener' ----------------------------------------- */

static size_t count_when_told;
static eddy_event told;

static void on_new_listener(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    told = *ev;
    count_when_told = eddy_listener_count(em, ev->u.listener.event);
}

Test(emitter, new_listener_is_emitted_before_the_listener_is_added)
{
    em = eddy_emitter_new();
    eddy_on(em, "newListener", on_new_listener, NULL);
    eddy_on(em, "tick", record, "A");

    eddy_on(em, "tick", record, "B");

    cr_assert_str_eq(told.name, "newListener");
    cr_assert_eq(told.target, em);
    cr_assert_str_eq(told.u.listener.event, "tick");
    cr_assert_eq(told.u.listener.fn, record);
    cr_assert_str_eq((const char *)told.u.listener.ctx, "B");
    cr_assert_eq(count_when_told, 1, "inside 'newListener' the count is still the old one");
    cr_assert_eq(eddy_listener_count(em, "tick"), 2);
    eddy_emitter_free(em);
}

Test(emitter, new_listener_reports_the_function_of_a_once_listener)
{
    em = eddy_emitter_new();
    eddy_on(em, "newListener", on_new_listener, NULL);

    eddy_once(em, "data", record, "A");

    cr_assert_str_eq(told.u.listener.event, "data");
    cr_assert_eq(told.u.listener.fn, record);
    cr_assert_eq(count_when_told, 0);
    eddy_emitter_free(em);
}

Test(emitter, adding_a_new_listener_listener_is_announced_to_the_existing_ones)
{
    em = eddy_emitter_new();
    eddy_on(em, "newListener", record, "1");
    eddy_on(em, "newListener", record, "2");

    cr_assert_str_eq(trace, "1", "the first was not there yet when the second came");
    eddy_emitter_free(em);
}

static void add_same_event(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (strcmp(ev->u.listener.event, "tick") == 0 && ev->u.listener.ctx != N)
        eddy_on(em, "tick", record, N);
}

Test(emitter, new_listener_listener_may_add_to_the_same_event)
{
    em = eddy_emitter_new();
    eddy_on(em, "newListener", add_same_event, NULL);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(eddy_on(em, "tick", record, "A"), 0);

    eddy_emit(em, "tick", NULL);

    cr_assert_str_eq(trace, "NANANANANA", "the announced listener comes after the nested one");
    eddy_emitter_free(em);
}

static eddy_event removal;
static size_t count_when_removed;

static void on_remove_listener(const eddy_event *ev, void *ctx)
{
    removal = *ev;
    count_when_removed = eddy_listener_count(em, ev->u.listener.event);
    if (ctx)
        strcat(trace, ev->u.listener.ctx ? (const char *)ev->u.listener.ctx : "?");
}

Test(emitter, remove_listener_is_emitted_after_the_listener_is_removed)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", on_remove_listener, NULL);
    eddy_on(em, "tick", record, A);
    eddy_on(em, "tick", record, B);

    eddy_off(em, "tick", record, A);

    cr_assert_str_eq(removal.name, "removeListener");
    cr_assert_eq(removal.target, em);
    cr_assert_str_eq(removal.u.listener.event, "tick");
    cr_assert_eq(removal.u.listener.fn, record);
    cr_assert_str_eq((const char *)removal.u.listener.ctx, "A");
    cr_assert_eq(count_when_removed, 1, "it is already gone");
    eddy_emitter_free(em);
}

static size_t tick_count_in_listener;

static void count_ticks(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    tick_count_in_listener = eddy_listener_count(em, "tick");
}

Test(emitter, remove_listener_is_emitted_when_a_once_listener_fires_and_before_it_runs)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", on_remove_listener, "log");
    eddy_once(em, "tick", count_ticks, "O");

    eddy_emit(em, "tick", NULL);

    cr_assert_str_eq(trace, "OO", "'removeListener' for O, then O itself");
    cr_assert_str_eq(removal.u.listener.event, "tick");
    cr_assert_eq(removal.u.listener.fn, count_ticks);
    cr_assert_eq(tick_count_in_listener, 0);
    eddy_emitter_free(em);
}

Test(emitter, remove_all_listeners_of_one_event_removes_the_last_added_first)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", on_remove_listener, "log");
    eddy_on(em, "tick", record, "A");
    eddy_on(em, "tick", record, "B");
    eddy_once(em, "tick", record, "C");
    eddy_on(em, "tock", record, "D");

    cr_assert_eq(eddy_remove_all_listeners(em, "tick"), 3);

    cr_assert_str_eq(trace, "CBA");
    cr_assert_eq(eddy_listener_count(em, "tick"), 0);
    cr_assert_eq(eddy_listener_count(em, "tock"), 1);
    eddy_emitter_free(em);
}

static void ignore(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

static void log_removal_as_event_and_label(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    char line[64];
    snprintf(line, sizeof line, "%s:%s ", ev->u.listener.event, (const char *)ev->u.listener.ctx);
    strcat(trace, line);
}

Test(emitter, remove_all_listeners_of_every_event_removes_remove_listener_listeners_last)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", log_removal_as_event_and_label, "R");
    eddy_on(em, "a", record, "a1");
    eddy_on(em, "b", record, "b1");
    eddy_on(em, "a", record, "a2");
    eddy_on(em, "removeListener", ignore, "R2");

    cr_assert_eq(eddy_remove_all_listeners(em, NULL), 5);

    /* Node prints a:a2 | a:a1 | b:b1 | removeListener:R2 for the same program. */
    cr_assert_str_eq(trace, "a:a2 a:a1 b:b1 removeListener:R2 ");
    cr_assert_eq(eddy_listener_count(em, "removeListener"), 0);
    eddy_emitter_free(em);
}

Test(emitter, remove_all_listeners_of_every_event_reports_builtin_and_user_events)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", log_removal_as_event_and_label, "R");
    eddy_on(em, "data", record, "d1");
    eddy_on(em, "user", record, "u1");
    eddy_on(em, "close", record, "c1");
    eddy_on(em, "data", record, "d2");

    cr_assert_eq(eddy_remove_all_listeners(em, NULL), 5);

    cr_assert_str_eq(trace, "data:d2 data:d1 close:c1 user:u1 ");
    eddy_emitter_free(em);
}

static void add_during_removal(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    eddy_on(em, "late", record, "L");
}

Test(emitter, remove_all_listeners_of_every_event_leaves_nothing_behind)
{
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", add_during_removal, NULL);
    eddy_on(em, "tick", record, "A");

    eddy_remove_all_listeners(em, NULL);

    cr_assert_eq(eddy_listener_count(em, "late"), 0, "as Node: added meanwhile, dropped too");
    cr_assert_eq(eddy_listener_count(em, "tick"), 0);
    cr_assert_eq(eddy_listener_count(em, "removeListener"), 0);
    eddy_emitter_free(em);
}

Test(emitter, remove_all_listeners_returns_how_many_went)
{
    eddy_emitter *e = eddy_emitter_new();
    cr_assert_eq(eddy_remove_all_listeners(e, NULL), 0);
    eddy_on(e, "tick", record, "A");
    eddy_on(e, "tick", record, "B");
    eddy_on(e, "data", record, "C");

    cr_assert_eq(eddy_remove_all_listeners(e, "none"), 0);
    cr_assert_eq(eddy_remove_all_listeners(e, "tick"), 2);
    cr_assert_eq(eddy_remove_all_listeners(e, NULL), 1);
    cr_assert_eq(eddy_emit(e, "data", NULL), 0);
    eddy_emitter_free(e);
}

/* ---- max listeners -------------------------------------------------------------- */

Test(emitter, listeners_beyond_the_maximum_all_run, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    for (int i = 0; i < 15; i++)
        cr_assert_eq(eddy_on(e, "tick", record, "x"), 0);

    cr_assert_eq(eddy_emit(e, "tick", NULL), 15);
    cr_assert_eq(strlen(trace), 15);
    eddy_emitter_free(e);
}

Test(emitter, max_listeners_warning_is_printed_once_per_event, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    for (int i = 0; i < 10; i++)
        eddy_on(e, "tick", record, "x");
    for (int i = 0; i < 3; i++)
        eddy_on(e, "tick", record, "x");
    eddy_remove_all_listeners(e, "tick");
    for (int i = 0; i < 12; i++)
        eddy_on(e, "tick", record, "x");
    for (int i = 0; i < 11; i++)
        eddy__on_id(e, EDDY__EV_DATA, record, "x", false);

    cr_assert_stderr_eq_str(
        "eddy: possible listener leak: 11 'tick' listeners on one emitter (max 10); "
        "raise the limit with eddy_set_max_listeners()\n"
        "eddy: possible listener leak: 11 'data' listeners on one emitter (max 10); "
        "raise the limit with eddy_set_max_listeners()\n");
    eddy_emitter_free(e);
}

Test(emitter, max_listeners_warning_is_printed_once_per_emitter, .init = cr_redirect_stderr)
{
    eddy_emitter *a = eddy_emitter_new();
    eddy_emitter *b = eddy_emitter_new();
    for (int i = 0; i < 11; i++) {
        eddy_on(a, "data", record, "x");
        eddy_on(b, "data", record, "x");
    }

    cr_assert_stderr_eq_str(
        "eddy: possible listener leak: 11 'data' listeners on one emitter (max 10); "
        "raise the limit with eddy_set_max_listeners()\n"
        "eddy: possible listener leak: 11 'data' listeners on one emitter (max 10); "
        "raise the limit with eddy_set_max_listeners()\n");
    eddy_emitter_free(a);
    eddy_emitter_free(b);
}

Test(emitter, max_listeners_zero_means_unlimited, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_set_max_listeners(e, 0);
    for (int i = 0; i < 100; i++)
        eddy_on(e, "tick", record, "x");

    cr_assert_eq(eddy_listener_count(e, "tick"), 100);
    cr_assert_stderr_eq_str("");
    eddy_emitter_free(e);
}

Test(emitter, set_max_listeners_moves_the_threshold, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_set_max_listeners(e, 2);
    eddy_on(e, "tick", record, "x");
    eddy_on(e, "tick", record, "x");
    eddy_on(e, "tick", record, "x");

    cr_assert_stderr_eq_str(
        "eddy: possible listener leak: 3 'tick' listeners on one emitter (max 2); "
        "raise the limit with eddy_set_max_listeners()\n");
    eddy_emitter_free(e);
}

/* ---- 'error' without listeners ------------------------------------------------- */

static int uncaught_calls;
static eddy_event uncaught_event;

static void *uncaught_ctx;

static void uncaught_hook(const eddy_event *ev, void *ctx)
{
    uncaught_calls++;
    uncaught_event = *ev;
    uncaught_ctx = ctx;
    strcat(trace, "hook");
}

Test(emitter, unhandled_error_of_an_embedded_emitter_goes_to_its_uncaught_hook)
{
    struct fake_socket s = {.fd = 7};
    eddy__emitter_init(&s.emitter, uncaught_hook);
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.error.code = -ECONNRESET;
    ev.u.error.syscall = "read";

    cr_assert_eq(eddy_emit(eddy_emitter_of(&s), "error", &ev), 0);

    cr_assert_eq(uncaught_calls, 1);
    cr_assert_str_eq(trace, "hook");
    cr_assert_eq(uncaught_ctx, &s, "the hook's context is the emitter's owner");
    cr_assert_str_eq(uncaught_event.name, "error");
    cr_assert_eq(uncaught_event.target, &s);
    cr_assert_eq(uncaught_event.u.error.code, -ECONNRESET);
    cr_assert_str_eq(uncaught_event.u.error.syscall, "read");
    eddy__emitter_dispose(&s.emitter);
}

Test(emitter, unhandled_error_by_id_goes_to_the_uncaught_hook)
{
    struct fake_socket s = {.fd = 7};
    eddy__emitter_init(&s.emitter, uncaught_hook);
    eddy__on_id(&s.emitter, EDDY__EV_DATA, record, "D", false);

    cr_assert_eq(eddy__emit_id(&s.emitter, EDDY__EV_ERROR, NULL), 0);

    cr_assert_eq(uncaught_calls, 1);
    cr_assert_str_eq(uncaught_event.name, "error");
    eddy__emitter_dispose(&s.emitter);
}

Test(emitter, error_with_a_listener_does_not_reach_the_uncaught_hook)
{
    struct fake_socket s = {.fd = 7};
    eddy__emitter_init(&s.emitter, uncaught_hook);
    eddy_on(&s.emitter, "error", record, "E");

    cr_assert_eq(eddy_emit(&s.emitter, "error", NULL), 1);

    cr_assert_eq(uncaught_calls, 0);
    cr_assert_str_eq(trace, "E");
    eddy__emitter_dispose(&s.emitter);
}

static void remove_error_listener_and_emit_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    struct fake_socket *s = ev->target;
    eddy_off(&s->emitter, "error", remove_error_listener_and_emit_error, NULL);
    eddy_emit(&s->emitter, "error", NULL);
}

Test(emitter, error_emitted_after_its_last_listener_went_is_uncaught)
{
    struct fake_socket s = {.fd = 7};
    eddy__emitter_init(&s.emitter, uncaught_hook);
    eddy_on(&s.emitter, "error", remove_error_listener_and_emit_error, NULL);

    cr_assert_eq(eddy_emit(&s.emitter, "error", NULL), 1);

    cr_assert_eq(uncaught_calls, 1, "the nested 'error' found no listener, as in Node");
    eddy__emitter_dispose(&s.emitter);
}

Test(emitter, unhandled_error_of_a_standalone_emitter_prints_one_line, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.error.code = -ECONNRESET;
    ev.u.error.syscall = "read";

    cr_assert_eq(eddy_emit(e, "error", &ev), 0);

    cr_assert_stderr_eq_str(
        "eddy: unhandled 'error' event: ECONNRESET (connection reset by peer) [read]\n");
    eddy_emitter_free(e);
}

Test(emitter, unhandled_error_without_a_code_still_prints_one_line, .init = cr_redirect_stderr)
{
    eddy_emitter *e = eddy_emitter_new();

    cr_assert_eq(eddy_emit(e, "error", NULL), 0);

    cr_assert_stderr_eq_str("eddy: unhandled 'error' event\n");
    eddy_emitter_free(e);
}

/* ---- freeing from inside a listener --------------------------------------------- */

static void free_emitter(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_emitter_free(em);
}

Test(emitter, emitter_freed_inside_its_listener_stops_the_emit_and_is_released_after,
     .fini = restore_allocator)
{
    use_counting_allocator(0);
    em = eddy_emitter_new();
    eddy_on(em, "tick", record, "A");
    eddy_on(em, "tick", free_emitter, "F");
    eddy_on(em, "tick", record, "B");

    cr_assert_eq(eddy_emit(em, "tick", NULL), 2);

    cr_assert_str_eq(trace, "AF", "no listener after the free ran");
    /* ASan and valgrind check that nothing touched the memory after its release. */
    cr_assert_eq(live_blocks, 0, "released when the outermost call returned");
}

static void nested_emit_then_record(const eddy_event *ev, void *ctx)
{
    (void)ev;
    strcat(trace, (const char *)ctx);
    eddy_emit(em, "inner", NULL);
    strcat(trace, "<");
}

Test(emitter, emitter_freed_inside_a_nested_emit_is_released_when_the_outermost_returns,
     .fini = restore_allocator)
{
    use_counting_allocator(0);
    em = eddy_emitter_new();
    eddy_on(em, "outer", nested_emit_then_record, "O");
    eddy_on(em, "outer", record, "X");
    eddy_on(em, "inner", free_emitter, "F");
    eddy_on(em, "inner", record, "Y");

    cr_assert_eq(eddy_emit(em, "outer", NULL), 1);

    cr_assert_str_eq(trace, "OF<");
    cr_assert_eq(live_blocks, 0, "released when the outermost call returned");
}

Test(emitter, emitter_freed_inside_a_once_listener_is_safe, .fini = restore_allocator)
{
    use_counting_allocator(0);
    em = eddy_emitter_new();
    eddy_once(em, "tick", free_emitter, "F");
    eddy_on(em, "removeListener", record, "r");

    cr_assert_eq(eddy_emit(em, "tick", NULL), 1);

    cr_assert_str_eq(trace, "rF");
    cr_assert_eq(live_blocks, 0, "released when the outermost call returned");
}

static void free_from_remove_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    strcat(trace, "r");
    eddy_emitter_free(em);
}

Test(emitter, emitter_freed_inside_remove_listener_during_remove_all_is_safe,
     .fini = restore_allocator)
{
    use_counting_allocator(0);
    em = eddy_emitter_new();
    eddy_on(em, "removeListener", free_from_remove_listener, NULL);
    eddy_on(em, "a", record, "A");
    eddy_on(em, "b", record, "B");

    cr_assert_eq(eddy_remove_all_listeners(em, NULL), 1);

    cr_assert_str_eq(trace, "r");
    cr_assert_eq(live_blocks, 0, "released when the outermost call returned");
}

static void free_from_new_listener(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    eddy_emitter_free(em);
}

Test(emitter, emitter_freed_inside_new_listener_is_safe, .fini = restore_allocator)
{
    use_counting_allocator(0);
    em = eddy_emitter_new();
    eddy_on(em, "newListener", free_from_new_listener, NULL);

    cr_assert_eq(eddy_on(em, "brand-new", record, "A"), 0);
    cr_assert_eq(live_blocks, 0, "released when the outermost call returned");
}

Test(emitter, freeing_an_embedded_emitter_is_left_to_its_owner)
{
    struct fake_socket s = {.fd = 7};
    eddy__emitter_init(&s.emitter, NULL);
    eddy_on(&s.emitter, "data", record, "D");

    eddy_emitter_free(&s.emitter); /* not ours to free: ignored */

    cr_assert_eq(eddy_emit(&s.emitter, "data", NULL), 1);
    eddy__emitter_dispose(&s.emitter);
}

static bool busy_inside;

static void note_busy(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    busy_inside = eddy__emitter_busy(em);
}

Test(emitter, emitter_is_busy_only_while_an_emit_runs)
{
    em = eddy_emitter_new();
    eddy_on(em, "tick", note_busy, NULL);

    cr_assert_not(eddy__emitter_busy(em));
    eddy_emit(em, "tick", NULL);
    cr_assert(busy_inside);
    cr_assert_not(eddy__emitter_busy(em));
    eddy_emitter_free(em);
}

/* ---- embedding and memory ------------------------------------------------------- */

Test(emitter, emitter_of_an_object_is_its_first_member)
{
    struct fake_socket s;
    eddy__emitter_init(&s.emitter, NULL);
    eddy_emitter *standalone = eddy_emitter_new();

    cr_assert_eq(eddy_emitter_of(&s), &s.emitter);
    cr_assert_eq(eddy_emitter_of(standalone), standalone);
    cr_assert_null(eddy_emitter_of(NULL));
    eddy_emitter_free(standalone);
}

Test(emitter, an_embedded_emitter_without_listeners_allocates_nothing, .fini = restore_allocator)
{
    use_counting_allocator(0);
    struct fake_socket s;

    eddy__emitter_init(&s.emitter, uncaught_hook);
    eddy_set_max_listeners(&s.emitter, 3);
    eddy__emit_id(&s.emitter, EDDY__EV_DATA, NULL);
    eddy_emit(&s.emitter, "user", NULL);
    eddy_emit(&s.emitter, "error", NULL);
    eddy_off(&s.emitter, "data", record, NULL);
    eddy_remove_all_listeners(&s.emitter, NULL);
    cr_assert_eq(eddy_listener_count(&s.emitter, "data"), 0);
    eddy__emitter_dispose(&s.emitter);

    cr_assert_eq(allocations, 0);
}

Test(emitter, a_standalone_emitter_without_listeners_is_one_allocation, .fini = restore_allocator)
{
    use_counting_allocator(0);

    eddy_emitter *e = eddy_emitter_new();
    eddy_emit(e, "tick", NULL);

    cr_assert_eq(allocations, 1);
    eddy_emitter_free(e);
}

Test(emitter, dispose_releases_every_listener_and_allows_init_again, .fini = restore_allocator)
{
    use_counting_allocator(0);
    struct fake_socket s;
    eddy__emitter_init(&s.emitter, NULL);
    eddy_on(&s.emitter, "data", record, "A");
    eddy_on(&s.emitter, "user", record, "B");

    eddy__emitter_dispose(&s.emitter);
    cr_assert_eq(live_blocks, 0);
    eddy__emitter_init(&s.emitter, NULL);

    cr_assert_eq(eddy_emit(&s.emitter, "data", NULL), 0);
    cr_assert_eq(eddy_listener_count(&s.emitter, "user"), 0);
    eddy__emitter_dispose(&s.emitter);
}

Test(emitter, many_events_and_listeners_keep_their_order)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_set_max_listeners(e, 0);
    static const char *const labels[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    char name[32];
    for (int ev = 0; ev < 50; ev++) {
        snprintf(name, sizeof name, "event-%d", ev);
        for (int i = 0; i < 10; i++)
            cr_assert_eq(eddy_on(e, name, record, (void *)labels[i]), 0);
        /* Not 'newListener' or 'removeListener': they would log every addition. */
        cr_assert_eq(eddy__on_id(e, (enum eddy__event_id)(ev % EDDY__EV_NEW_LISTENER), record,
                                 (void *)labels[ev % 10], false),
                     0);
    }

    for (int ev = 0; ev < 50; ev++) {
        snprintf(name, sizeof name, "event-%d", ev);
        trace[0] = '\0';
        cr_assert_eq(eddy_emit(e, name, NULL), 10);
        cr_assert_str_eq(trace, "0123456789");
    }
    cr_assert_eq(eddy_remove_all_listeners(e, NULL), 550);
    eddy_emitter_free(e);
}

/* ---- allocation failures -------------------------------------------------------- */

Test(emitter, on_reports_enomem_when_the_table_cannot_be_allocated, .fini = restore_allocator)
{
    eddy_emitter *e = eddy_emitter_new();
    use_counting_allocator(1);

    cr_assert_eq(eddy_on(e, "data", record, "A"), -ENOMEM);

    cr_assert_eq(live_blocks, 0, "the table was not kept");
    cr_assert_eq(eddy_listener_count(e, "data"), 0);
    cr_assert_eq(eddy_emit(e, "data", NULL), 0);
    eddy_emitter_free(e);
}

Test(emitter, on_reports_enomem_when_the_listener_array_cannot_grow, .fini = restore_allocator)
{
    eddy_emitter *e = eddy_emitter_new();
    for (int i = 0; i < 4; i++)
        eddy_on(e, "data", record, "A");
    use_counting_allocator(1);

    cr_assert_eq(eddy_on(e, "data", record, "B"), -ENOMEM);
    use_counting_allocator(1);
    cr_assert_eq(eddy_prepend_listener(e, "close", record, "B"), -ENOMEM);

    cr_assert_eq(eddy_listener_count(e, "data"), 4);
    cr_assert_eq(eddy_listener_count(e, "close"), 0);
    cr_assert_eq(eddy_emit(e, "data", NULL), 4);
    cr_assert_str_eq(trace, "AAAA");
    eddy_emitter_free(e);
}

Test(emitter, on_reports_enomem_when_a_user_event_cannot_be_recorded, .fini = restore_allocator)
{
    /* The allocations of a first user event: users array, record, listener array. */
    for (int nth = 1; nth <= 3; nth++) {
        eddy_emitter *e = eddy_emitter_new();
        eddy_on(e, "data", record, "A");
        use_counting_allocator(nth);

        cr_assert_eq(eddy_on(e, "user", record, "U"), -ENOMEM, "allocation %d failing", nth);

        cr_assert_eq(eddy_listener_count(e, "user"), 0);
        cr_assert_eq(eddy_emit(e, "user", NULL), 0);
        cr_assert_eq(eddy_emit(e, "data", NULL), 1);
        cr_assert_leq(live_blocks, 1, "no record left behind (the users array may keep its room)");
        restore_allocator();
        eddy_emitter_free(e);
    }
}

static void announce(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    strcat(trace, "n");
}

Test(emitter, on_that_fails_for_memory_does_not_announce_the_listener, .fini = restore_allocator)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_on(e, "newListener", announce, NULL);
    use_counting_allocator(1);

    cr_assert_eq(eddy_on(e, "user", record, "U"), -ENOMEM);

    cr_assert_str_eq(trace, "", "no 'newListener' for a listener that was not added");
    eddy_emitter_free(e);
}

Test(emitter, every_failing_allocation_of_on_leaves_the_emitter_as_it_was,
     .fini = restore_allocator)
{
    /* Fail each allocation in turn over a sequence of additions: every call either
     * succeeds or returns -ENOMEM with the counts untouched. */
    for (int nth = 1; nth <= 40; nth++) {
        use_counting_allocator(0);
        eddy_emitter *e = eddy_emitter_new();
        eddy_set_max_listeners(e, 0);
        allocations = 0;
        fail_at = nth;
        size_t expected_data = 0, expected_user = 0;
        for (int i = 0; i < 12; i++) {
            const char *name = i % 3 == 0 ? "data" : "user";
            size_t *expected = i % 3 == 0 ? &expected_data : &expected_user;
            int rc = i % 2 ? eddy_on(e, name, record, "x") : eddy_once(e, name, record, "x");
            cr_assert(rc == 0 || rc == -ENOMEM);
            if (rc == 0)
                (*expected)++;
            cr_assert_eq(eddy_listener_count(e, "data"), expected_data);
            cr_assert_eq(eddy_listener_count(e, "user"), expected_user);
        }
        fail_at = 0;
        cr_assert_eq(eddy_emit(e, "data", NULL), (int)expected_data);
        cr_assert_eq(eddy_emit(e, "user", NULL), (int)expected_user);
        eddy_emitter_free(e);
        cr_assert_eq(live_blocks, 0, "nothing leaked when allocation %d failed", nth);
    }
}

Test(emitter, emitter_new_returns_null_when_memory_is_lacking, .fini = restore_allocator)
{
    use_counting_allocator(1);
    cr_assert_null(eddy_emitter_new());
}

/* ---- arguments ------------------------------------------------------------------ */

Test(emitter, null_arguments_are_rejected_with_einval)
{
    eddy_emitter *e = eddy_emitter_new();

    cr_assert_eq(eddy_on(NULL, "a", record, NULL), -EINVAL);
    cr_assert_eq(eddy_on(e, NULL, record, NULL), -EINVAL);
    cr_assert_eq(eddy_on(e, "a", NULL, NULL), -EINVAL);
    cr_assert_eq(eddy_once(e, NULL, record, NULL), -EINVAL);
    cr_assert_eq(eddy_prepend_listener(e, "a", NULL, NULL), -EINVAL);
    cr_assert_eq(eddy_prepend_once_listener(NULL, "a", record, NULL), -EINVAL);
    cr_assert_eq(eddy_off(e, NULL, record, NULL), -EINVAL);
    cr_assert_eq(eddy_off(e, "a", NULL, NULL), -EINVAL);
    cr_assert_eq(eddy_remove_all_listeners(NULL, "a"), -EINVAL);
    cr_assert_eq(eddy_emit(NULL, "a", NULL), -EINVAL);
    cr_assert_eq(eddy_emit(e, NULL, NULL), -EINVAL);
    cr_assert_eq(eddy__emit_id(NULL, EDDY__EV_DATA, NULL), -EINVAL);
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_BUILTIN_COUNT, NULL), -EINVAL);
    cr_assert_eq(eddy__on_id(e, EDDY__EV_BUILTIN_COUNT, record, NULL, false), -EINVAL);
    cr_assert_eq(eddy__off_id(e, EDDY__EV_DATA, NULL, NULL), -EINVAL);
    cr_assert_eq(eddy_listener_count(NULL, "a"), 0);
    cr_assert_eq(eddy_listener_count(e, NULL), 0);
    cr_assert_eq(eddy__listener_count_id(NULL, EDDY__EV_DATA), 0);
    eddy_emitter_free(e);
}

Test(emitter, void_functions_accept_null)
{
    eddy_emitter_free(NULL);
    eddy_set_max_listeners(NULL, 3);
    eddy__emitter_init(NULL, NULL);
    eddy__emitter_dispose(NULL);
    cr_assert_not(eddy__emitter_busy(NULL));
}

/* ---- the table's one block ------------------------------------------------------- */

/* The built-in listeners live in the table's own block, which moves when it grows: a
 * removal walk and eddy_on's 'newListener' must read the table again after every
 * listener call, as an emit does (listeners_added_in_bulk_during_an_emit_...): ASan and
 * valgrind catch a stale pointer here. */
static void add_on_new_listener(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (strcmp(ev->u.listener.event, "data") == 0)
        for (int i = 0; i < 8; i++)
            eddy_on(em, "end", record, "y"); /* grows the block under eddy_on */
}

Test(emitter, the_table_may_grow_under_new_listener)
{
    em = eddy_emitter_new();
    eddy_set_max_listeners(em, 0);
    eddy_on(em, "newListener", add_on_new_listener, NULL);

    cr_assert_eq(eddy_on(em, "data", record, A), 0);
    cr_assert_eq(eddy_listener_count(em, "data"), 1);
    cr_assert_eq(eddy_listener_count(em, "end"), 8);
    cr_assert_eq(eddy_emit(em, "data", NULL), 1);
    cr_assert_str_eq(trace, "A");
    eddy_emitter_free(em);
}

static void add_on_remove(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    for (int i = 0; i < 8; i++)
        eddy_on(em, "data", record, "z");
}

Test(emitter, the_table_may_grow_under_remove_all_listeners)
{
    em = eddy_emitter_new();
    eddy_set_max_listeners(em, 0);
    eddy_on(em, "removeListener", add_on_remove, NULL);
    eddy_on(em, "data", record, A);
    eddy_on(em, "end", record, B);
    eddy_on(em, "user", record, N);

    cr_assert_geq(eddy_remove_all_listeners(em, NULL), 4);
    cr_assert_eq(eddy_listener_count(em, "data"), 0, "Node leaves nothing behind");
    cr_assert_eq(eddy_listener_count(em, "removeListener"), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 0);
    eddy_emitter_free(em);
}

Test(emitter, two_builtin_listeners_take_one_block_and_a_third_grows_it, .fini = restore_allocator)
{
    use_counting_allocator(0);
    struct fake_socket s;
    eddy__emitter_init(&s.emitter, NULL);

    eddy_on(&s.emitter, "data", record, A);
    eddy_on(&s.emitter, "drain", record, B);
    cr_assert_eq(allocations, 1, "the table and its first two listeners are one block");
    cr_assert_eq(live_blocks, 1);
    /* An idle connection's table: 24 + 2 x 24 bytes on LP64, so that with malloc's 8-byte
     * header it fits an 80-byte chunk (bench/ "idle connections"). Fails if the header
     * grows past 24 bytes or the listeners past 24. */
    if (sizeof(void *) == 8)
        cr_assert_eq(last_size, 72, "the block is %zu bytes", last_size);
    eddy_on(&s.emitter, "end", record, N);
    cr_assert_eq(allocations, 2, "a third listener grows it (realloc)");
    cr_assert_eq(live_blocks, 1, "still one block");
    if (sizeof(void *) == 8)
        cr_assert_eq(last_size, 24 + 4 * 24, "to room for 4: %zu bytes", last_size);

    cr_assert_eq(eddy_emit(&s.emitter, "drain", NULL), 1);
    cr_assert_eq(eddy_emit(&s.emitter, "data", NULL), 1);
    cr_assert_eq(eddy_emit(&s.emitter, "end", NULL), 1);
    cr_assert_str_eq(trace, "BAN");
    eddy__emitter_dispose(&s.emitter);
    cr_assert_eq(live_blocks, 0);
}

/* The table stores no capacity: its room follows from the count of built-in listeners
 * (2, then doubled). After removals the count is below the room, and growing again must
 * still leave room for every listener: a room computed too small would write past the
 * block (ASan and valgrind runs) or lose a listener. */
static char L[40][4];

Test(emitter, the_room_of_the_builtin_array_follows_the_count_through_removals,
     .fini = restore_allocator)
{
    use_counting_allocator(0);
    struct fake_socket s;
    eddy__emitter_init(&s.emitter, NULL);
    eddy_set_max_listeners(&s.emitter, 0);
    const char *events[] = {"data", "end", "close", "drain"};
    for (int i = 0; i < 40; i++)
        snprintf(L[i], sizeof L[i], "%c", 'a' + i % 26);
    for (int i = 0; i < 9; i++) /* room 2 -> 4 -> 8 -> 16 */
        cr_assert_eq(eddy_on(&s.emitter, events[i % 4], record, L[i]), 0);
    if (sizeof(void *) == 8)
        cr_assert_eq(last_size, 24 + 16 * 24, "room for 16: %zu bytes", last_size);
    for (int i = 0; i < 8; i++) /* 1 left, 'data' L[8]: a room of 2 by the count */
        cr_assert_eq(eddy_off(&s.emitter, events[i % 4], record, L[i]), 0);
    cr_assert_eq(eddy_listener_count(&s.emitter, "data"), 1);
    int before = allocations;
    cr_assert_eq(eddy_on(&s.emitter, "end", record, L[9]), 0);
    cr_assert_eq(allocations, before, "2 listeners fit the first room");
    for (int i = 10; i < 40; i++)
        cr_assert_eq(eddy_on(&s.emitter, events[i % 4], record, L[i]), 0);
    cr_assert_eq(live_blocks, 1);
    if (sizeof(void *) == 8)
        cr_assert_eq(last_size, 24 + 32 * 24, "32 listeners, room for 32: %zu", last_size);
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(&s.emitter, "data", NULL), 8); /* L[8], L[12], ... L[36] */
    cr_assert_str_eq(trace, "imquycgk");
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(&s.emitter, "end", NULL), 8); /* L[9], L[13], ... L[37] */
    cr_assert_str_eq(trace, "jnrvzdhl");
    cr_assert_eq(eddy_listener_count(&s.emitter, "close"), 8);
    cr_assert_eq(eddy_listener_count(&s.emitter, "drain"), 8);
    eddy__emitter_dispose(&s.emitter);
    cr_assert_eq(live_blocks, 0);
}

/* ---- the built-in groups: one array sorted by event id -------------------------- */

/* The library emits its events by id with an event on its stack: one listener first in
 * the array is called on a fast path that reads the tags of the first two entries. A fast
 * path that read only the first would call one of two 'data' listeners, or take a second
 * 'end' listener for the only one when 'end' leads the array. */
Test(emitter, emits_by_id_call_every_listener_of_a_group_that_leads_the_array)
{
    eddy_emitter *e = eddy_emitter_new();
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    eddy_on(e, "data", record, "a");
    eddy_on(e, "end", record, "e");
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_DATA, &ev), 1);
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_END, &ev), 1);
    cr_assert_str_eq(trace, "ae");
    cr_assert_str_eq(ev.name, "end");
    cr_assert_eq(ev.target, e);

    trace[0] = '\0';
    eddy_on(e, "data", record, "b");
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_DATA, &ev), 2);
    cr_assert_str_eq(trace, "ab");

    trace[0] = '\0';
    eddy_remove_all_listeners(e, "data");
    eddy_on(e, "end", record, "f");
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_DATA, &ev), 0);
    cr_assert_eq(eddy__emit_id(e, EDDY__EV_END, &ev), 2);
    cr_assert_str_eq(trace, "ef");
    eddy_emitter_free(e);
}

/* The built-in listeners of an emitter are one array, each entry tagged with its event and
 * the array kept sorted by it; a running emit remembers where its event's group starts.
 * The tests below add to, remove from and grow that array under running emits and check
 * what every event then holds. */

static char La[] = "a", Lb[] = "b", Lc[] = "c", Le[] = "e", Lk[] = "k", Lp[] = "p", Lq[] = "q",
            Lx[] = "x", Ly[] = "y", L1[] = "1", L2[] = "2", L3[] = "3";

static void record_then_prepend_p_to_end(const eddy_event *ev, void *label)
{
    record(ev, label);
    eddy_prepend_listener(em, "end", record, Lp);
}

static void record_then_prepend_q_to_end(const eddy_event *ev, void *label)
{
    record(ev, label);
    eddy_prepend_listener(em, "end", record, Lq);
}

/* 'end' is the middle group. A prepend to it moves every later group ('close') by one, and
 * the running 'close' emit must follow its listeners: if its frame kept the old start of
 * its group, it would call c again instead of k ("cc"). The running 'data' emit is before
 * the middle group and must not move: if any addition to another group moved a frame, it
 * would call p instead of b ("ap"). */
Test(emitter, a_prepend_to_a_middle_group_leaves_the_running_emits_of_other_groups_in_place)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", record_then_prepend_p_to_end, La);
    eddy_on(em, "data", record, Lb);
    eddy_on(em, "end", record, Le);
    eddy_on(em, "close", record_then_prepend_q_to_end, Lc);
    eddy_on(em, "close", record, Lk);

    cr_assert_eq(eddy_emit(em, "data", NULL), 2);
    cr_assert_str_eq(trace, "ab");
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(em, "close", NULL), 2);
    cr_assert_str_eq(trace, "ck");
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(em, "end", NULL), 3);
    cr_assert_str_eq(trace, "qpe", "both prepends at the front of 'end', the latest first");

    cr_assert_eq(eddy_listener_count(em, "data"), 2);
    cr_assert_eq(eddy_listener_count(em, "end"), 3);
    cr_assert_eq(eddy_listener_count(em, "close"), 2);
    eddy_emitter_free(em);
}

static void record_then_add_x_to_data(const eddy_event *ev, void *label)
{
    record(ev, label);
    eddy_prepend_listener(em, "data", record, Lx); /* at the front of the first group */
    eddy_on(em, "data", record, Lx);               /* at its end: where 'end' began */
    eddy_prepend_listener(em, "close", record, Ly); /* the later group: moves nothing */
    eddy_on(em, "close", record, Ly);
}

/* Additions to the group before the running one ('data' before 'end'), at its front and at
 * its end, move the running group by two: a frame that did not follow would run 1 again;
 * one that also moved for the later group ('close') would run a 'close' listener. */
Test(emitter, additions_to_an_earlier_group_during_an_emit_move_the_running_group_along)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", record, La);
    eddy_on(em, "end", record_then_add_x_to_data, L1);
    eddy_on(em, "end", record, L2);
    eddy_on(em, "end", record, L3);
    eddy_on(em, "close", record, Lc);

    cr_assert_eq(eddy_emit(em, "end", NULL), 3);
    cr_assert_str_eq(trace, "123");

    cr_assert_eq(eddy_listener_count(em, "data"), 3);
    cr_assert_eq(eddy_listener_count(em, "end"), 3);
    cr_assert_eq(eddy_listener_count(em, "close"), 3);
    trace[0] = '\0';
    eddy_emit(em, "data", NULL);
    eddy_emit(em, "close", NULL);
    cr_assert_str_eq(trace, "xaxycy");
    eddy_emitter_free(em);
}

static void off_e_from_end(const eddy_event *ev, void *label)
{
    record(ev, label);
    cr_assert_eq(eddy_off(em, "end", record, Le), 0);
}

/* The only listener of the middle group goes, at once and during an emit (stamped, then
 * erased when the emit returns); the groups around it must keep their listeners, the empty
 * group must report none, and a listener prepended to it afterwards must land between the
 * two others. Fails if removal moves only part of the array or leaves the length as it
 * was (a stale 'end' listener, or 'close' losing its own), or if the place of an empty
 * group is taken wrongly (a prepend to 'end' landing before 'data' hides the 'data'
 * listener: its group no longer starts at 0). */
Test(emitter, the_last_listener_of_a_middle_group_can_go_and_come_back)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", record, La);
    eddy_on(em, "end", record, Le);
    eddy_on(em, "close", record, Lc);

    cr_assert_eq(eddy_off(em, "end", record, Le), 0);
    cr_assert_eq(eddy_listener_count(em, "data"), 1);
    cr_assert_eq(eddy_listener_count(em, "end"), 0);
    cr_assert_eq(eddy_listener_count(em, "close"), 1);
    cr_assert_eq(eddy_emit(em, "end", NULL), 0);
    cr_assert_eq(eddy_emit(em, "close", NULL), 1);
    cr_assert_eq(eddy_emit(em, "data", NULL), 1);
    cr_assert_str_eq(trace, "ca");

    /* Back, by a prepend into the empty group. */
    trace[0] = '\0';
    cr_assert_eq(eddy_prepend_listener(em, "end", record, Le), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 1);
    cr_assert_eq(eddy_emit(em, "end", NULL), 1);
    cr_assert_eq(eddy_emit(em, "close", NULL), 1);
    cr_assert_str_eq(trace, "aec");

    /* Gone again, during a 'close' emit: stamped, still counted out at once. */
    trace[0] = '\0';
    eddy_prepend_listener(em, "close", off_e_from_end, Lk);
    cr_assert_eq(eddy_emit(em, "close", NULL), 2);
    cr_assert_str_eq(trace, "kc");
    cr_assert_eq(eddy_listener_count(em, "end"), 0);
    cr_assert_eq(eddy_listener_count(em, "close"), 2);
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(em, "end", NULL), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 1);
    cr_assert_str_eq(trace, "a");

    /* And back by an append, with the first group empty too: 'end' now leads the array. */
    trace[0] = '\0';
    cr_assert_eq(eddy_off(em, "data", record, La), 0);
    cr_assert_eq(eddy_on(em, "end", record, Le), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 0);
    cr_assert_eq(eddy_emit(em, "end", NULL), 1);
    cr_assert_eq(eddy__emit_id(em, EDDY__EV_END, NULL), 1);
    cr_assert_str_eq(trace, "ee");
    eddy_emitter_free(em);
}

/* A sequence of additions at both ends and removals over every built-in event but
 * 'newListener' and 'removeListener' (they would emit), against a model: after every step
 * each event's count, and now and then each event's listeners in order, must be the
 * model's. Any slip in a group's bounds (an off-by-one in the scan, a prepend at the
 * wrong index, a removal that shifts the wrong entries, an empty group placed wrongly)
 * shows as a wrong count or order somewhere. The emits go by id with an event, through
 * the library's fast path (one listener first in the array), and by name. */
Test(emitter, every_events_listeners_follow_a_model_through_additions_and_removals)
{
    enum { EVENTS = EDDY__EV_NEW_LISTENER, LABELS = 8, MODEL_MAX = 64 };
    static char labels[LABELS][2] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    char model[EVENTS][MODEL_MAX + 1];
    memset(model, 0, sizeof model);
    eddy_emitter *e = eddy_emitter_new();
    eddy_set_max_listeners(e, 0);
    uint32_t seed = 12345;
    for (int step = 0; step < 3000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        unsigned id = r % EVENTS, op = (r / EVENTS) % 4, label = (r / EVENTS / 4) % LABELS;
        const char *name = eddy__event_name((enum eddy__event_id)id);
        char *m = model[id];
        size_t n = strlen(m);
        if (op < 3 && n < MODEL_MAX) {
            if (op == 0) {
                cr_assert_eq(eddy_on(e, name, record, labels[label]), 0);
                m[n] = labels[label][0];
            } else if (op == 1) {
                cr_assert_eq(eddy_prepend_listener(e, name, record, labels[label]), 0);
                memmove(m + 1, m, n + 1);
                m[0] = labels[label][0];
            } else {
                cr_assert_eq(eddy__on_id(e, (enum eddy__event_id)id, record, labels[label], false), 0);
                m[n] = labels[label][0];
            }
        } else {
            /* eddy_off removes the last match, as the model does. */
            cr_assert_eq(eddy_off(e, name, record, labels[label]), 0);
            char *last = strrchr(m, labels[label][0]);
            if (last)
                memmove(last, last + 1, strlen(last));
        }
        for (unsigned ev = 0; ev < EVENTS; ev++)
            cr_assert_eq(eddy_listener_count(e, eddy__event_name((enum eddy__event_id)ev)),
                         strlen(model[ev]), "step %d, event %u", step, ev);
        if (step % 50 == 0) {
            for (unsigned ev = 0; ev < EVENTS; ev++) {
                trace[0] = '\0';
                if (ev == EDDY__EV_ERROR && model[ev][0] == '\0')
                    continue; /* an unheard 'error' is reported on stderr */
                eddy_event payload;
                memset(&payload, 0, sizeof payload);
                cr_assert_eq(eddy__emit_id(e, (enum eddy__event_id)ev, &payload),
                             (int)strlen(model[ev]), "step %d, event %u", step, ev);
                cr_assert_str_eq(trace, model[ev], "step %d, event %u", step, ev);
                trace[0] = '\0';
                cr_assert_eq(eddy_emit(e, eddy__event_name((enum eddy__event_id)ev), NULL),
                             (int)strlen(model[ev]), "step %d, event %u", step, ev);
                cr_assert_str_eq(trace, model[ev], "step %d, event %u", step, ev);
            }
        }
    }
    eddy_emitter_free(e);
}

static void record_then_grow_every_group(const eddy_event *ev, void *label)
{
    record(ev, label);
    for (int i = 0; i < 8; i++) {
        eddy_on(em, "data", record, Lx);   /* before the running group: moves it */
        eddy_on(em, "close", record, Ly);  /* after it */
    }
    eddy_prepend_listener(em, "end", record, Lp); /* the running group itself */
    eddy_prepend_listener(em, "end", record, Lq);
}

/* The running group is in the middle and the table grows from 4 to 32 entries (it moves)
 * while one of its listeners adds before it, after it and to it. The emit must go on with
 * the next listener of its own group: 2, once. Fails if the frame does not follow the
 * group (a 'data' listener x runs, or 1 again), if the additions to the group itself are
 * not counted (2 is missed or run twice), or, under ASan and valgrind, if anything kept a
 * pointer into the old block. */
Test(emitter, the_table_may_grow_under_an_emit_of_a_middle_group, .fini = restore_allocator)
{
    em = eddy_emitter_new();
    eddy_set_max_listeners(em, 0);
    eddy_on(em, "data", record, La);
    eddy_on(em, "end", record_then_grow_every_group, L1);
    eddy_on(em, "end", record, L2);
    eddy_on(em, "close", record, Lc);
    use_counting_allocator(0);

    cr_assert_eq(eddy_emit(em, "end", NULL), 2);
    cr_assert_str_eq(trace, "12");
    cr_assert_geq(allocations, 3, "the block grew to 8, 16 and 32 entries");

    cr_assert_eq(eddy_listener_count(em, "data"), 9);
    cr_assert_eq(eddy_listener_count(em, "end"), 4);
    cr_assert_eq(eddy_listener_count(em, "close"), 9);
    trace[0] = '\0';
    eddy_emit(em, "data", NULL);
    cr_assert_str_eq(trace, "axxxxxxxx");
    trace[0] = '\0';
    eddy_emit(em, "close", NULL);
    cr_assert_str_eq(trace, "cyyyyyyyy");
    eddy_emitter_free(em);
}

static void record_then_add_two_to_data(const eddy_event *ev, void *label)
{
    record(ev, label);
    eddy_on(em, "data", record, Lx);
    eddy_prepend_listener(em, "data", record, Lx);
}

/* Once listeners of a middle group are stamped as removed from where the frame says they
 * are. If that place were taken from the group's old start, the second once listener's
 * removal would stamp a 'data' listener instead: 'data' would lose one and 'end' keep 2. */
Test(emitter, once_listeners_of_a_middle_group_go_while_an_earlier_group_grows)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", record, La);
    eddy_once(em, "end", record_then_add_two_to_data, L1);
    eddy_once(em, "end", record_then_add_two_to_data, L2);
    eddy_on(em, "close", record, Lc);

    cr_assert_eq(eddy_emit(em, "end", NULL), 2);
    cr_assert_str_eq(trace, "12");
    cr_assert_eq(eddy_listener_count(em, "end"), 0);
    cr_assert_eq(eddy_listener_count(em, "data"), 5);
    cr_assert_eq(eddy_listener_count(em, "close"), 1);
    trace[0] = '\0';
    cr_assert_eq(eddy_emit(em, "end", NULL), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 5);
    cr_assert_eq(eddy_emit(em, "close", NULL), 1);
    cr_assert_str_eq(trace, "xxaxxc");
    eddy_emitter_free(em);
}

static void report_then_add_x_to_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    strcat(trace, (const char *)ev->u.listener.ctx); /* which listener went */
    eddy_on(em, "data", record, Lx);
}

/* eddy_remove_all_listeners(e, "end") walks the middle group from its end while each
 * 'removeListener' listener adds to 'data' before it. A walk that did not follow the group
 * would remove (or report) a 'data' listener and leave one of 'end's. */
Test(emitter, remove_all_listeners_of_a_middle_group_follows_it_while_an_earlier_one_grows)
{
    em = eddy_emitter_new();
    eddy_on(em, "data", record, La);
    eddy_on(em, "end", record, L1);
    eddy_on(em, "end", record, L2);
    eddy_on(em, "end", record, L3);
    eddy_on(em, "close", record, Lc);
    eddy_on(em, "removeListener", report_then_add_x_to_data, NULL);

    cr_assert_eq(eddy_remove_all_listeners(em, "end"), 3);
    cr_assert_str_eq(trace, "321", "the last added first");
    trace[0] = '\0';
    cr_assert_eq(eddy_listener_count(em, "end"), 0);
    cr_assert_eq(eddy_listener_count(em, "data"), 4);
    cr_assert_eq(eddy_listener_count(em, "close"), 1);
    cr_assert_eq(eddy_listener_count(em, "removeListener"), 1);
    cr_assert_eq(eddy_emit(em, "end", NULL), 0);
    cr_assert_eq(eddy_emit(em, "data", NULL), 4);
    cr_assert_eq(eddy_emit(em, "close", NULL), 1);
    cr_assert_str_eq(trace, "axxxc");
    eddy_emitter_free(em);
}
