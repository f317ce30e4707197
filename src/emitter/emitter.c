/* The EventEmitter: Node's semantics, with the library's own events dispatched by id.
 *
 * Layout. struct eddy_emitter (emitter_struct.h) is 24 bytes of plain data embedded in
 * every server and socket; eddy__emitter_init never allocates, and an emitter that never
 * had a listener owns nothing on the heap. The first eddy_on allocates the table below
 * (a 24-byte header on LP64), which lives until the emitter is disposed of:
 *   - the listeners of the built-in events (enum eddy__event_id) sit in ONE array of
 *     24-byte entries at the end of the table's own block, each tagged with its event's
 *     id and sorted by it: group `id` is the run of entries tagged `id`. A socket with two
 *     listeners thus costs one 72-byte allocation, an 80-byte malloc chunk (one list per
 *     event would take a 192-byte table of {pointer, length, capacity} and an allocation
 *     per event used; offsets per group, 34 bytes, made it 120 bytes). An emitter has few
 *     listeners, so a group is found by a scan, no string comparison, and 'data' (id 0)
 *     without one: its group starts at 0, and "exactly one 'data' listener" is two tags
 *     read (eddy__emit_id_valid). Adding to a group shifts the groups after it, which is
 *     cheap at these sizes and happens when listeners are added, never when events are
 *     emitted. The block grows (realloc) to 4, 8, 16... entries; its capacity is not
 *     stored but follows from the count (builtin_room); since it moves, no pointer to it
 *     is kept across a listener call.
 *   - user events (any other name) are a small array of records {hash, name copy,
 *     listeners}, in a block of their own that exists once a user event has been seen
 *     (struct user_events), so that the table of an emitter without any costs nothing for
 *     them but a pointer. A name is hashed once per call and compared with strcmp only
 *     against a record of the same hash, so a call does at most one comparison of user
 *     names (plus at most three against the built-in names whose first character
 *     matches: builtin_id). A record goes when its last listener does, unless it printed
 *     the max-listeners warning: keeping it keeps that warning to once per name.
 *
 * Snapshots without copies. Node runs an emit on a copy of the listener array. Instead,
 * an emit walks the live array in place, described by a frame on the C stack that is
 * linked into the table: {list, where it starts, next index, end index, generation}.
 *   - Listeners added at the end land at or after `end`, so the running emit skips them.
 *   - A prepended listener shifts the list, so every running frame of that list moves its
 *     `next` and `end` along by one and keeps pointing at the same listeners.
 *   - A listener added to an earlier built-in group shifts the whole group: the frames of
 *     the later groups move where their list starts along by one.
 *   - While any emit runs (emitter depth > 0), a removed listener is not erased but
 *     stamped with the table's count of stamps after its own (`stamps`, which only grows
 *     while an emit runs: a generation). A frame runs a stamped listener only if the
 *     stamp is newer than the count when the frame started: removed during this emit, so
 *     Node still calls it. Stamped listeners are erased, and the count reset to 0, when
 *     the outermost emit returns.
 *   - A once listener also has a `fired` flag in its single copy, so an outer emit never
 *     calls it again after a nested emit ran it (Node's `fired` in the once wrapper),
 *     while one removed by eddy_off during an emit still runs in that emit, as in Node.
 * So an emit allocates nothing, whatever its listeners do, and removing during an emit
 * cannot fail for lack of memory.
 *
 * Freeing from a listener. eddy_emitter_free during an emit only sets a flag; every
 * running emit stops calling listeners, and the outermost one releases the memory when it
 * returns. Calls that emit events of their own (eddy_on's 'newListener',
 * eddy_remove_all_listeners' 'removeListener') hold the depth the same way. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "emitter_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/alloc.h"
#include "common/compiler.h"
#include "common/text.h"

#define BUILTIN_COUNT ((unsigned)EDDY__EV_BUILTIN_COUNT)
_Static_assert(EDDY__EV_BUILTIN_COUNT <= 16, "the warned mask of the table has 16 bits");

#define DEFAULT_MAX_LISTENERS 10u
#define MAX_LISTENERS_LIMIT ((1u << 28) - 1) /* the width of eddy_emitter.max_listeners */
/* Room for two built-in listeners in a new table ('data' and one more): the table of an
 * idle connection is then one 72-byte block on LP64. A socket with more grows to 4, 8... */
#define BUILTIN_INITIAL_CAP 2u
#define BUILTIN_MAX UINT16_MAX /* the width of the table's len */
#define USER_INITIAL_CAP 2u
/* EDDY_NO_USER_EVENTS (eddy/config.h): only the built-in names. The user-event code below
 * stays written once; with USER_EVENTS 0 every path to it is a constant-false branch, and
 * the compiler drops it. */
#ifdef EDDY_NO_USER_EVENTS
#define USER_EVENTS 0
#else
#define USER_EVENTS 1
#endif
/* A list ref names a built-in event (else a user event: BUILTIN_COUNT + its index). */
#define IS_BUILTIN(ref) (!USER_EVENTS || (ref) < BUILTIN_COUNT)

/* The built-in names, packed one after another ("data\0end\0..."), each found by its
 * offset: no pointer per name (a table of 16 pointers was 128 bytes of relocated data). A
 * struct of char arrays has no padding, so offsetof gives each name's offset. */
#define BUILTIN_NAMES(X)                                                                           \
    X(DATA, data, "data")                                                                          \
    X(END, end, "end")                                                                             \
    X(CLOSE, close, "close")                                                                       \
    X(ERROR, error, "error")                                                                       \
    X(CONNECT, connect, "connect")                                                                 \
    X(CONNECTION, connection, "connection")                                                        \
    X(LISTENING, listening, "listening")                                                           \
    X(TIMEOUT, timeout, "timeout")                                                                 \
    X(DRAIN, drain, "drain")                                                                       \
    X(FD, fd, "fd")                                                                                \
    X(FINISH, finish, "finish")                                                                    \
    X(READY, ready, "ready")                                                                       \
    X(DROP, drop, "drop")                                                                          \
    X(LOOKUP, lookup, "lookup")                                                                    \
    X(NEW_LISTENER, new_listener, "newListener")                                                   \
    X(REMOVE_LISTENER, remove_listener, "removeListener")
#define NAME_FIELD(id, field, text) char field[sizeof text];
#define NAME_TEXT(id, field, text) text,
#define NAME_OFFSET(id, field, text) [EDDY__EV_##id] = offsetof(struct builtin_text, field),
#define NAME_COUNT(id, field, text) +1
struct builtin_text {
    BUILTIN_NAMES(NAME_FIELD)
};
static const struct builtin_text builtin_text = {BUILTIN_NAMES(NAME_TEXT)};
static const uint8_t builtin_offset[EDDY__EV_BUILTIN_COUNT] = {BUILTIN_NAMES(NAME_OFFSET)};
_Static_assert(0 BUILTIN_NAMES(NAME_COUNT) == EDDY__EV_BUILTIN_COUNT,
               "every built-in event has its name");
_Static_assert(sizeof(struct builtin_text) <= UINT8_MAX, "the offsets are 8 bits");

static inline const char *builtin_name(unsigned id)
{
    return (const char *)&builtin_text + builtin_offset[id];
}

struct listener {
    eddy_listener fn;
    void *ctx;
    uint32_t removed; /* 0: live; else the generation at which it was removed */
    bool once;
    bool fired; /* a once listener that has been called (it is removed too) */
    /* A built-in listener's event (enum eddy__event_id): the table's array is sorted by
     * it. In what was padding, so an entry stays 24 bytes (16 on ILP32). 0 in the lists of
     * user events, which do not read it. */
    uint8_t id;
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct listener) == 24,
               "a listener is 24 bytes on LP64: the id lives in the padding");

struct user_event {
    struct listener *items;
    uint32_t len;
    uint32_t cap;
    uint32_t hash;
    bool warned; /* kept, even without listeners, so that the warning stays once per name */
    char name[];
};

/* The user events of a table, allocated (and grown by realloc) when the first one is
 * seen: most emitters, every socket of a plain server among them, have none. */
struct user_events {
    uint32_t len;
    uint32_t cap;
    bool sweep; /* a record may have been left empty during an emit */
    struct user_event *at[];
};

/* One running emit (or eddy_remove_all_listeners walk) over one list. A list is named
 * by a "ref": a built-in id, or BUILTIN_COUNT + the index of a user event. User indices
 * are stable while frames exist, because records are only erased at depth 0. `next` and
 * `end` count from the start of the list, which is `base` in the array that holds it:
 * where its group begins in the table's built-in array, 0 for a user event. A listener
 * added to an earlier group moves the whole group, so `base` moves by one (list_insert);
 * a prepend to the list itself moves `next` and `end`. */
struct frame {
    struct frame *outer;
    unsigned ref;
    uint32_t base;
    uint32_t next;
    uint32_t end;
    uint32_t gen;
};

/* One allocation with the built-in listeners after it: a socket's table and its first
 * two listeners are one 72-byte block on LP64 (an 80-byte malloc chunk). It moves when it
 * grows (realloc), so nothing keeps a pointer to it across a listener call: e->table is
 * read again. Only what every emitter needs is here: the user events, the capacity
 * (builtin_room) and the generation of removals (stamps) cost no field of their own.
 * History: 72 bytes of header with offsets per group, 40 with tagged listeners (the
 * generation and the count of stamped listeners apart, the user events' count and
 * capacity and a sweep flag here). */
struct eddy__emitter_table {
    struct frame *frames;      /* innermost first */
    struct user_events *users; /* NULL until a user event is seen */
    /* Stamped listeners waiting for the outermost emit to return, which resets it to 0.
     * It only grows while an emit runs, so it is also the generation a removed listener
     * is stamped with (frame.gen, frame_admits). */
    uint32_t stamps;
    /* 16 bits: the table is per socket, and a server holds thousands of sockets; the
     * built-in events of one emitter hold at most BUILTIN_MAX listeners in all. */
    uint16_t len;    /* built-in listeners in items[], stamped ones included */
    uint16_t warned; /* built-in ids that printed the max-listeners warning */
    /* The built-in listeners, sorted by id: group `id` is the run of entries tagged with
     * it, found by a scan (group_find). 'data' is id 0, so its group starts at 0. Room
     * for builtin_room(len) of them at least. */
    struct listener items[];
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct eddy__emitter_table) == 24,
               "the header is 24 bytes on LP64: a new table is 24 + 2 x 24 = 72 bytes, "
               "an 80-byte malloc chunk");
_Static_assert(EDDY__EV_BUILTIN_COUNT <= UINT8_MAX, "a listener's id is 8 bits");

/* ---- names ---------------------------------------------------------------------- */

/* The id of a built-in name, or -1 for a user event. eddy_on and its siblings call it,
 * never an emit: a scan of the 16 names, with a full comparison only where the first
 * character matches (three at most: "close", "connect", "connection"). */
static int builtin_id(const char *name)
{
    for (unsigned id = 0; id < BUILTIN_COUNT; id++) {
        const char *n = builtin_name(id);
        if (n[0] == name[0] && strcmp(n, name) == 0)
            return (int)id;
    }
    return -1;
}

/* FNV-1a: cheap, and good enough to make equal hashes mean equal names in practice. */
static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static inline uint32_t user_count(const struct eddy__emitter_table *t)
{
    return USER_EVENTS && t->users ? t->users->len : 0;
}

/* The record of a user event by index (below user_count). */
static inline struct user_event *user_at(const struct eddy__emitter_table *t, uint32_t index)
{
    return t->users->at[index];
}

static long user_find(const struct eddy__emitter_table *t, const char *name, uint32_t hash)
{
    for (uint32_t i = 0; i < user_count(t); i++)
        if (user_at(t, i)->hash == hash && strcmp(user_at(t, i)->name, name) == 0)
            return (long)i;
    return -1;
}

/* ---- lists ---------------------------------------------------------------------- */

/* The built-in group `id`: where it starts in t->items, and its length in *len (where it
 * would start when it is empty). The array is sorted by id and an emitter has few
 * listeners, so a scan is cheap; it runs when listeners are added or removed and when an
 * emit begins off the fast path, never per listener called (a frame keeps its base). */
static uint32_t group_find(const struct eddy__emitter_table *t, unsigned id, uint32_t *len)
{
    uint32_t n = t->len, first = 0;
    while (first < n && t->items[first].id < id)
        first++;
    uint32_t end = first;
    while (end < n && t->items[end].id == id)
        end++;
    *len = end - first;
    return first;
}

/* The array that holds a list: the table's built-in array, or the user event's own. */
static inline struct listener *list_array(const struct eddy__emitter_table *t, unsigned ref)
{
    if (IS_BUILTIN(ref))
        return (struct listener *)t->items;
    return user_at(t, ref - BUILTIN_COUNT)->items;
}

/* Where a list starts in its array (list_array), with its length in *len. */
static uint32_t list_find(const struct eddy__emitter_table *t, unsigned ref, uint32_t *len)
{
    if (IS_BUILTIN(ref))
        return group_find(t, ref, len);
    *len = user_at(t, ref - BUILTIN_COUNT)->len;
    return 0;
}

static inline struct listener *list_items(const struct eddy__emitter_table *t, unsigned ref,
                                          uint32_t *len)
{
    uint32_t first = list_find(t, ref, len);
    return list_array(t, ref) + first;
}

static size_t count_live(const struct eddy__emitter_table *t, const struct listener *items,
                         uint32_t len)
{
    if (t->stamps == 0)
        return len; /* the common case */
    size_t live = 0;
    for (uint32_t i = 0; i < len; i++)
        live += items[i].removed == 0;
    return live;
}

static size_t live_count(const struct eddy__emitter_table *t, unsigned ref)
{
    uint32_t len;
    const struct listener *items = list_items(t, ref, &len);
    return count_live(t, items, len);
}

/* The room of the built-in array holding len listeners: the block starts with
 * BUILTIN_INITIAL_CAP entries and doubles when it is full, so it always has room for the
 * smallest such size that is not below len (it may have more: it is not shrunk when
 * listeners go, until it next grows). */
static uint32_t builtin_room(uint32_t len)
{
    uint32_t room = BUILTIN_INITIAL_CAP;
    while (room < len)
        room *= 2;
    return room;
}

/* The next capacity of a full list of user listeners, or 0 when it cannot grow. */
static uint32_t next_cap(uint32_t cap, uint32_t limit)
{
    if (cap >= limit)
        return 0;
    uint32_t ncap = cap * 2;
    if (ncap > limit)
        ncap = limit;
#if SIZE_MAX <= UINT32_MAX /* only there can the byte count overflow */
    if (ncap > (SIZE_MAX - sizeof(struct eddy__emitter_table)) / sizeof(struct listener))
        return 0;
#endif
    return ncap;
}

/* Makes room for one more listener in the list, so that the insertion cannot fail. The
 * table may move: e->table is the table afterwards. */
static int list_reserve(eddy_emitter *e, unsigned ref)
{
    struct eddy__emitter_table *t = e->table;
    if (IS_BUILTIN(ref)) {
        if (t->len < builtin_room(t->len))
            return 0;
        if (t->len >= BUILTIN_MAX)
            return -ENOMEM;
        /* Full: len is the room, a power of two (at most 2^15 here). */
        t = eddy__realloc(t, sizeof *t + (size_t)t->len * sizeof *t->items,
                          sizeof *t + 2 * (size_t)t->len * sizeof *t->items);
        if (!t)
            return -ENOMEM;
        e->table = t;
        return 0;
    }
    struct user_event *u = user_at(t, ref - BUILTIN_COUNT);
    if (u->len < u->cap)
        return 0;
    uint32_t ncap = u->cap ? next_cap(u->cap, UINT32_MAX / 2) : USER_INITIAL_CAP;
    if (!ncap)
        return -ENOMEM;
    struct listener *grown =
        eddy__realloc(u->items, (size_t)u->cap * sizeof *u->items, (size_t)ncap * sizeof *u->items);
    if (!grown)
        return -ENOMEM;
    u->items = grown;
    u->cap = ncap;
    return 0;
}

/* Inserts into a list that has room (list_reserve). A built-in listener goes first or
 * last in its group, which keeps the array sorted by id. */
static void list_insert(struct eddy__emitter_table *t, unsigned ref, bool front, struct listener l)
{
    struct listener *items;
    uint32_t pos, total;
    if (IS_BUILTIN(ref)) {
        uint32_t len, first = group_find(t, ref, &len);
        items = t->items;
        pos = front ? first : first + len;
        total = t->len++;
        l.id = (uint8_t)ref;
    } else {
        struct user_event *u = user_at(t, ref - BUILTIN_COUNT);
        items = u->items;
        pos = front ? 0 : u->len;
        total = u->len++;
    }
    memmove(items + pos + 1, items + pos, (size_t)(total - pos) * sizeof *items);
    items[pos] = l;
    /* Running emits index lists from their start: a prepend moves their listeners by one,
     * and an addition to an earlier built-in group moves the whole group. */
    for (struct frame *f = t->frames; f; f = f->outer) {
        if (f->ref == ref) {
            if (front) {
                f->next++;
                f->end++;
            }
        } else if (IS_BUILTIN(ref) && IS_BUILTIN(f->ref) && f->ref > ref) {
            f->base++;
        }
    }
}

static void user_destroy(struct user_event *u)
{
    eddy__free(u->items);
    eddy__free(u);
}

static void user_erase(struct eddy__emitter_table *t, uint32_t index)
{
    struct user_events *users = t->users;
    user_destroy(users->at[index]);
    users->len--;
    memmove(users->at + index, users->at + index + 1,
            (size_t)(users->len - index) * sizeof *users->at);
}

/* Removes one listener, at index `at` of the list's array (list_array: for a built-in
 * listener, the whole table's array, not its group). During an emit it is only stamped
 * (see the top of the file); otherwise it is erased at once, with its user event when
 * that becomes empty. */
static void list_remove(eddy_emitter *e, unsigned ref, uint32_t at)
{
    struct eddy__emitter_table *t = e->table;
    struct listener *items = list_array(t, ref);
    if (e->depth > 0) {
        /* Saturate rather than wrap to 0, which would mean "live" (it cannot happen: each
         * stamp is a listener still in memory). */
        if (t->stamps < UINT32_MAX)
            t->stamps++;
        items[at].removed = t->stamps;
        e->unsettled = 1;
        return;
    }
    if (IS_BUILTIN(ref)) {
        /* The built-in groups share one array: every later group moves down one with the
         * rest of this one (an old layout that moved only this group's listeners, with
         * offsets per group, once had a pipe's 'end' run its 'data' listener). */
        memmove(items + at, items + at + 1, (size_t)(t->len - at - 1) * sizeof *items);
        t->len--;
        return;
    }
    struct user_event *u = user_at(t, ref - BUILTIN_COUNT);
    memmove(items + at, items + at + 1, (size_t)(u->len - at - 1) * sizeof *items);
    if (--u->len == 0 && !u->warned)
        user_erase(t, ref - BUILTIN_COUNT);
}

static uint32_t items_compact(struct listener *items, uint32_t len)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < len; i++)
        if (items[i].removed == 0)
            items[kept++] = items[i];
    return kept;
}

/* Erases the stamped listeners and the empty user events; runs when no emit does. */
static void table_compact(struct eddy__emitter_table *t)
{
    /* In order: the groups stay sorted by id. */
    t->len = (uint16_t)items_compact(t->items, t->len);
    for (uint32_t i = user_count(t); i-- > 0;) {
        struct user_event *u = user_at(t, i);
        u->len = items_compact(u->items, u->len);
        if (u->len == 0 && !u->warned)
            user_erase(t, i);
    }
    t->stamps = 0;
    if (t->users)
        t->users->sweep = false;
}

static void table_destroy(struct eddy__emitter_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < user_count(t); i++)
        user_destroy(user_at(t, i));
    eddy__free(t->users);
    eddy__free(t);
}

/* ---- emitting ------------------------------------------------------------------- */

static void emitter_release(eddy_emitter *e)
{
    eddy__emitter_dispose(e);
    eddy__free(e);
}

/* What the outermost emit (or hold) applies when it returns. After this, e may be gone. */
static EDDY__NOINLINE void emitter_settle(eddy_emitter *e)
{
    e->unsettled = 0;
    if (e->free_pending) {
        emitter_release(e);
        return;
    }
    struct eddy__emitter_table *t = e->table;
    if (!t)
        return; /* disposed of by a listener, against the rules: at least no crash */
    if (t->stamps || (t->users && t->users->sweep))
        table_compact(t);
}

/* Ends an emit (or a hold). Inline, with the rare work out of line, because every emit
 * goes through it. */
static inline void emitter_leave(eddy_emitter *e)
{
    if (--e->depth == 0 && e->unsettled)
        emitter_settle(e);
}

/* ---- diagnostics (no stdio: common/text.h) ---- */

enum { DIAG_TEXT_MAX = 256 };

void eddy_diagnostic_print(const eddy_diagnostic *d)
{
    if (d && d->text)
        eddy__text_to_stderr(d->text);
}

/* eddy_emitter_new's emitter: the context of its diagnostic hook has to live somewhere,
 * and only a standalone emitter has one (an embedded emitter's hook gets the emitter,
 * that is its owner). */
struct standalone_emitter {
    eddy_emitter e;
    void *diag_ctx;
};

static void *hook_ctx(eddy_emitter *e)
{
    return e->standalone ? ((struct standalone_emitter *)(void *)e)->diag_ctx : (void *)e;
}

static void diagnose(eddy_emitter *e, eddy_diagnostic *d)
{
    d->emitter = e;
    if (e->has_diag && e->hook.diag)
        e->hook.diag(d, hook_ctx(e)); /* e may be gone afterwards */
    else if (!e->has_diag && e->hook.uncaught && d->kind == EDDY_DIAG_UNHANDLED_ERROR)
        e->hook.uncaught(d->event, hook_ctx(e));
    else
        eddy_diagnostic_print(d);
}

static EDDY__NOINLINE void report_uncaught(eddy_emitter *e, const eddy_event *ev)
{
    char buf[DIAG_TEXT_MAX];
    eddy__text t;
    eddy__text_init(&t, buf, sizeof buf);
    eddy__text_unhandled(&t, NULL, ev->u.error.code, ev->u.error.syscall);
    eddy_diagnostic d = {
        .kind = EDDY_DIAG_UNHANDLED_ERROR, .text = buf, .event = ev, .event_name = "error"};
    diagnose(e, &d);
}

/* An emit that finds no listener: only 'error' does something then. Out of line to keep
 * emit_ref small. */
/* ev is complete (name and target set). */
static int emit_to_nobody(eddy_emitter *e, unsigned ref, const eddy_event *ev)
{
    if (ref != EDDY__EV_ERROR || e->free_pending)
        return 0;
    report_uncaught(e, ev); /* e may be gone afterwards: no more access */
    return 0;
}

static int emit_ref(eddy_emitter *e, unsigned ref, const char *name, const eddy_event *ev);
static EDDY__NOINLINE int emit_ready(eddy_emitter *e, unsigned ref, const eddy_event *ev);

static void emit_listener_event(eddy_emitter *e, enum eddy__event_id id, const char *event,
                                eddy_listener fn, void *ctx)
{
    eddy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.u.listener.event = event;
    ev.u.listener.fn = fn;
    ev.u.listener.ctx = ctx;
    emit_ref(e, id, builtin_name(id), &ev);
}

/* The listener at f->next - 1 is removed or a once listener: decides whether the emit
 * calls it, and removes a once listener before it runs (so that emitting the same event
 * from inside it does not call it again). Out of line: the common listener is neither. */
static bool frame_admits(eddy_emitter *e, struct frame *f, const char *name)
{
    uint32_t at = f->base + f->next - 1;
    struct listener *l = list_array(e->table, f->ref) + at;
    if (l->removed && l->removed <= f->gen)
        return false; /* removed before this emit began */
    if (!l->once)
        return true; /* removed during it: still runs */
    if (l->fired)
        return false; /* a nested emit ran it (Node's `fired` flag) */
    l->fired = true;
    /* Already removed by eddy_off during this emit: it runs all the same, as in Node, but
     * there is nothing to remove or report. */
    if (l->removed)
        return true;
    eddy_listener fn = l->fn;
    void *ctx = l->ctx;
    list_remove(e, f->ref, at);
    emit_listener_event(e, EDDY__EV_REMOVE_LISTENER, name, fn, ctx);
    return !e->free_pending;
}

/* The event as listeners get it: the caller's, with the name and target set. */
static int emit_ref(eddy_emitter *e, unsigned ref, const char *name, const eddy_event *ev)
{
    eddy_event copy;
    if (ev)
        copy = *ev;
    else
        memset(&copy, 0, sizeof copy);
    copy.name = name;
    copy.target = e; /* the emitter is the first member of its owner */
    return emit_ready(e, ref, &copy);
}

/* A built-in event without a payload ('end', 'close' without error...). */
static EDDY__NOINLINE int emit_bare(eddy_emitter *e, unsigned id)
{
    return emit_ref(e, id, builtin_name(id), NULL);
}

static EDDY__NOINLINE int emit_frames(eddy_emitter *e, unsigned ref, const eddy_event *ev,
                                      uint32_t first, uint32_t len);

/* ev is complete. Small on purpose (the library's events come through here): one
 * listener, neither once nor removed (no tombstones), is called without a frame;
 * removals during the call only stamp (the depth is held), and nothing after the call
 * reads the array. Everything else goes to emit_frames. */
static EDDY__NOINLINE int emit_ready(eddy_emitter *e, unsigned ref, const eddy_event *ev)
{
    struct eddy__emitter_table *t = e->table;
    uint32_t len = 0, first = 0;
    if (t && !e->free_pending)
        first = list_find(t, ref, &len);
    const struct listener *l = len ? list_array(t, ref) + first : NULL;
    if (len == 0 || count_live(t, l, len) == 0)
        return emit_to_nobody(e, ref, ev);
    if (len == 1 && !t->stamps) {
        if (!l->once) {
            eddy_listener fn = l->fn;
            void *ctx = l->ctx;
            e->depth++;
            fn(ev, ctx);
            emitter_leave(e);
            return 1;
        }
    }
    return emit_frames(e, ref, ev, first, len);
}

/* len listeners of the list from index `first` of its array (list_array), len > 0. */
static int emit_frames(eddy_emitter *e, unsigned ref, const eddy_event *ev, uint32_t first,
                       uint32_t len)
{
    struct eddy__emitter_table *t = e->table;
    struct frame f = {
        .outer = t->frames, .ref = ref, .base = first, .next = 0, .end = len, .gen = t->stamps};
    t->frames = &f;
    e->depth++;
    int ran = 0;
    do {
        /* Re-read every time: listeners may have moved the table (by adding to it), and
         * the group (by adding to an earlier one: f.base). */
        const struct listener *l = list_array(e->table, ref) + f.base + f.next++;
        eddy_listener fn = l->fn;
        void *ctx = l->ctx;
        if ((l->removed || l->once) && !frame_admits(e, &f, ev->name)) {
            if (e->free_pending)
                break;
            continue;
        }
        fn(ev, ctx);
        ran++;
    } while (f.next < f.end && !e->free_pending && e->table);
    if (e->table) /* NULL: disposed of by a listener, against the rules */
        e->table->frames = f.outer;
    emitter_leave(e);
    return ran;
}

/* ---- adding and removing -------------------------------------------------------- */

static void warn_if_too_many(eddy_emitter *e, unsigned ref, const char *name)
{
    struct eddy__emitter_table *table = e->table;
    if (e->max_listeners == 0)
        return;
    size_t count = live_count(table, ref);
    if (count <= e->max_listeners)
        return;
    if (IS_BUILTIN(ref)) {
        if (table->warned & (1u << ref))
            return;
        table->warned |= (uint16_t)(1u << ref);
    } else {
        struct user_event *u = user_at(table, ref - BUILTIN_COUNT);
        if (u->warned)
            return;
        u->warned = true;
    }
#ifdef EDDY_NO_DIAGNOSTICS_TEXT
    /* No text to build: the line is fixed, the hook has the name and the count. */
    const char *buf = "eddy: possible listener leak (eddy_set_max_listeners)";
#else
    char buf[DIAG_TEXT_MAX];
    eddy__text t;
    eddy__text_init(&t, buf, sizeof buf);
    eddy__text_str(&t, "eddy: possible listener leak: ");
    eddy__text_uint(&t, count);
    eddy__text_str(&t, " '");
    /* Cut a long name, not the advice after it: the line is at most sizeof buf - 128
     * bytes long after the name. */
    t.cap = sizeof buf - 127;
    eddy__text_str(&t, name);
    t.cap = sizeof buf;
    eddy__text_str(&t, "' listeners on one emitter (max ");
    eddy__text_uint(&t, e->max_listeners);
    eddy__text_str(&t, "); raise the limit with eddy_set_max_listeners()");
#endif
    eddy_diagnostic d = {
        .kind = EDDY_DIAG_MAX_LISTENERS, .text = buf, .event_name = name, .count = count};
    diagnose(e, &d);
}

/* id: a built-in event, or -1 for the user event `name`. */
static int emitter_add(eddy_emitter *e, int id, const char *name, eddy_listener fn, void *ctx,
                       bool once, bool front)
{
    /* Freed from a listener that is still running: the listener would go with it. */
    if (e->free_pending)
        return 0;
    if (!USER_EVENTS && id < 0)
        return -ENOSYS; /* EDDY_NO_USER_EVENTS */

    bool new_table = false, new_user = false;
    if (!e->table) {
        e->table =
            eddy__calloc(1, sizeof *e->table + BUILTIN_INITIAL_CAP * sizeof(struct listener));
        if (!e->table)
            return -ENOMEM;
        new_table = true;
    }
    struct eddy__emitter_table *t = e->table;

    unsigned ref;
    if (id >= 0) {
        ref = (unsigned)id;
    } else {
        uint32_t hash = name_hash(name);
        long index = user_find(t, name, hash);
        if (index < 0) {
            uint32_t n = user_count(t), cap = t->users ? t->users->cap : 0;
            if (n == cap) {
                if (cap > UINT32_MAX / 2)
                    goto nomem;
                uint32_t ncap = cap ? cap * 2 : 4;
                struct user_events *grown = eddy__realloc(
                    t->users, cap ? sizeof *grown + (size_t)cap * sizeof *grown->at : 0,
                    sizeof *grown + (size_t)ncap * sizeof *grown->at);
                if (!grown)
                    goto nomem;
                if (!t->users) {
                    grown->len = 0;
                    grown->sweep = false;
                }
                grown->cap = ncap;
                t->users = grown;
            }
            size_t size = strlen(name) + 1;
            struct user_event *u = eddy__malloc(sizeof *u + size);
            if (!u)
                goto nomem;
            memset(u, 0, sizeof *u);
            u->hash = hash;
            memcpy(u->name, name, size);
            index = (long)t->users->len++;
            t->users->at[index] = u;
            new_user = true;
        }
        ref = BUILTIN_COUNT + (unsigned)index;
    }
    /* Reserve before 'newListener', so that listeners are not told of an addition that
     * then fails. */
    if (list_reserve(e, ref) < 0)
        goto nomem;
    t = e->table;

    struct listener l = {.fn = fn, .ctx = ctx, .once = once};
    if (live_count(t, EDDY__EV_NEW_LISTENER) == 0) {
        list_insert(t, ref, front, l);
        warn_if_too_many(e, ref, name);
        return 0;
    }

    /* Hold the depth across 'newListener' so that the user event record stays where it
     * is and a free from inside it waits for us. */
    e->depth++;
    emit_listener_event(e, EDDY__EV_NEW_LISTENER, name, fn, ctx);
    int rc = 0;
    t = e->table;
    if (!e->free_pending && t) {
        /* Its listeners may have used the room reserved above by adding their own. */
        rc = list_reserve(e, ref);
        t = e->table;
        if (rc == 0) {
            list_insert(t, ref, front, l);
            warn_if_too_many(e, ref, name);
        } else if (!IS_BUILTIN(ref)) {
            t->users->sweep = true; /* the record may be left empty */
            e->unsettled = 1;
        }
    }
    emitter_leave(e);
    return rc;

nomem:
    /* Nothing ran since the record and the table were made: undo them. */
    if (new_user)
        user_destroy(t->users->at[--t->users->len]);
    if (new_table) {
        table_destroy(t);
        e->table = NULL;
    }
    return -ENOMEM;
}

static int emitter_off(eddy_emitter *e, unsigned ref, const char *name, eddy_listener fn, void *ctx)
{
    uint32_t len, first = list_find(e->table, ref, &len);
    struct listener *items = list_array(e->table, ref) + first;
    /* From the end, as Node does: the last matching one goes (the most recent eddy_on). */
    for (uint32_t i = len; i-- > 0;) {
        if (items[i].removed || items[i].fn != fn || items[i].ctx != ctx)
            continue;
        list_remove(e, ref, first + i);
        emit_listener_event(e, EDDY__EV_REMOVE_LISTENER, name, fn, ctx);
        break;
    }
    return 0;
}

/* Removes the listeners of one list from the last to the first, emitting 'removeListener'
 * after each. A frame walks the list so that prepends from those listeners keep the
 * position right; listeners added meanwhile stay. */
static int remove_all_ref(eddy_emitter *e, unsigned ref, const char *name)
{
    struct eddy__emitter_table *t = e->table;
    uint32_t len, first = list_find(t, ref, &len);
    struct frame f = {.outer = t->frames, .ref = ref, .base = first, .next = len, .end = len};
    t->frames = &f;
    e->depth++;
    int removed = 0;
    while (f.next > 0 && !e->free_pending && e->table) {
        f.next--;
        struct listener *l = list_array(e->table, ref) + f.base + f.next;
        if (l->removed)
            continue;
        eddy_listener fn = l->fn;
        void *ctx = l->ctx;
        list_remove(e, ref, f.base + f.next);
        removed++;
        emit_listener_event(e, EDDY__EV_REMOVE_LISTENER, name, fn, ctx);
    }
    if (e->table) /* the table may have moved (listeners added to it) */
        e->table->frames = f.outer;
    emitter_leave(e);
    return removed;
}

/* What 'removeListener' listeners added while everything was being removed: Node drops
 * it silently at the end of removeAllListeners(), so that nothing is left. */
static int remove_rest_silently(eddy_emitter *e)
{
    struct eddy__emitter_table *t = e->table;
    int removed = 0;
    for (unsigned ref = 0; ref < BUILTIN_COUNT + user_count(t); ref++) {
        uint32_t len, first = list_find(t, ref, &len);
        struct listener *items = list_array(t, ref);
        for (uint32_t i = first + len; i-- > first;) {
            if (!items[i].removed) {
                list_remove(e, ref, i); /* stamped: the caller holds the depth */
                removed++;
            }
        }
    }
    return removed;
}

/* ---- public and internal API ---------------------------------------------------- */

void eddy__emitter_init_diag(eddy_emitter *e, eddy_diagnostic_fn diag)
{
    eddy__emitter_init(e, NULL);
    if (!e)
        return;
    e->has_diag = 1;
    e->hook.diag = diag;
}

void eddy__emitter_init(eddy_emitter *e, eddy__uncaught_fn uncaught)
{
    if (!e)
        return;
    memset(e, 0, sizeof *e);
    e->hook.uncaught = uncaught;
    e->max_listeners = DEFAULT_MAX_LISTENERS;
}

void eddy__emitter_dispose(eddy_emitter *e)
{
    if (!e)
        return;
    table_destroy(e->table);
    e->table = NULL;
    if (e->depth > 0)
        e->unsettled = 1; /* against the rules: the outermost emit finds no table */
}

bool eddy__emitter_busy(const eddy_emitter *e)
{
    return e && e->depth > 0;
}

eddy_emitter *eddy_emitter_new(void)
{
    struct standalone_emitter *se = eddy__malloc(sizeof *se);
    if (!se)
        return NULL;
    eddy_emitter *e = &se->e;
    eddy__emitter_init(e, NULL);
    e->standalone = 1;
    se->diag_ctx = NULL;
    return e;
}

int eddy_emitter_on_diagnostic(eddy_emitter *e, eddy_diagnostic_fn fn, void *ctx)
{
    if (!e || !e->standalone)
        return -EINVAL;
    e->has_diag = 1;
    e->hook.diag = fn;
    ((struct standalone_emitter *)(void *)e)->diag_ctx = fn ? ctx : NULL;
    return 0;
}

void eddy_emitter_free(eddy_emitter *e)
{
    /* An embedded emitter belongs to its server or socket, which releases it. */
    if (!e || !e->standalone)
        return;
    if (e->depth > 0) {
        e->free_pending = 1;
        e->unsettled = 1;
        return;
    }
    emitter_release(e);
}

eddy_emitter *eddy_emitter_of(void *object)
{
    /* The emitter is the first member of every server and socket (and of itself). */
    return (eddy_emitter *)object;
}

/* The four ways to add a listener by name: one body, out of line, so that each public
 * call is a jump (they were each a copy of it). */
static EDDY__NOINLINE int add_named(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx,
                                    bool once, bool front)
{
    if (!e || !event || !fn)
        return -EINVAL;
    return emitter_add(e, builtin_id(event), event, fn, ctx, once, front);
}

int eddy_on(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx)
{
    return add_named(e, event, fn, ctx, false, false);
}

int eddy_once(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx)
{
    return add_named(e, event, fn, ctx, true, false);
}

int eddy_prepend_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx)
{
    return add_named(e, event, fn, ctx, false, true);
}

int eddy_prepend_once_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx)
{
    return add_named(e, event, fn, ctx, true, true);
}

int eddy__on_id(eddy_emitter *e, enum eddy__event_id id, eddy_listener fn, void *ctx, bool once)
{
    if (!e || (unsigned)id >= BUILTIN_COUNT || !fn)
        return -EINVAL;
    return emitter_add(e, (int)id, builtin_name(id), fn, ctx, once, false);
}

int eddy_off(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx)
{
    if (!e || !event || !fn)
        return -EINVAL;
    if (!e->table || e->free_pending)
        return 0;
    int id = builtin_id(event);
    if (id >= 0)
        return emitter_off(e, (unsigned)id, event, fn, ctx);
    long index = user_find(e->table, event, name_hash(event));
    return index < 0 ? 0 : emitter_off(e, BUILTIN_COUNT + (unsigned)index, event, fn, ctx);
}

int eddy__off_id(eddy_emitter *e, enum eddy__event_id id, eddy_listener fn, void *ctx)
{
    if (!e || (unsigned)id >= BUILTIN_COUNT || !fn)
        return -EINVAL;
    if (!e->table || e->free_pending)
        return 0;
    return emitter_off(e, (unsigned)id, builtin_name(id), fn, ctx);
}

int eddy_remove_all_listeners(eddy_emitter *e, const char *event)
{
    if (!e)
        return -EINVAL;
    if (!e->table || e->free_pending)
        return 0;
    if (event) {
        int id = builtin_id(event);
        if (id >= 0)
            return remove_all_ref(e, (unsigned)id, event);
        long index = user_find(e->table, event, name_hash(event));
        return index < 0 ? 0 : remove_all_ref(e, BUILTIN_COUNT + (unsigned)index, event);
    }

    /* Every event, 'removeListener' last so that its listeners hear about all the others,
     * as in Node. The hold keeps user event records (and their names) in place. */
    e->depth++;
    int removed = 0;
    for (unsigned id = 0; id < BUILTIN_COUNT && !e->free_pending; id++)
        if (id != EDDY__EV_REMOVE_LISTENER)
            removed += remove_all_ref(e, id, builtin_name(id));
    /* Events first seen meanwhile are not walked, as in Node. The table may move under
     * the listeners: it is read again for each event. */
    uint32_t users = e->table ? user_count(e->table) : 0;
    for (uint32_t i = 0; i < users && !e->free_pending && e->table; i++)
        removed += remove_all_ref(e, BUILTIN_COUNT + i, user_at(e->table, i)->name);
    if (!e->free_pending)
        removed +=
            remove_all_ref(e, EDDY__EV_REMOVE_LISTENER, builtin_name(EDDY__EV_REMOVE_LISTENER));
    if (!e->free_pending && e->table)
        removed += remove_rest_silently(e);
    emitter_leave(e);
    return removed;
}

int eddy_emit(eddy_emitter *e, const char *event, const eddy_event *ev)
{
    if (!e || !event)
        return -EINVAL;
    int id = builtin_id(event);
    if (id >= 0)
        return emit_ref(e, (unsigned)id, builtin_name(id), ev);
    if (!USER_EVENTS)
        return -ENOSYS; /* EDDY_NO_USER_EVENTS */
    if (!e->table)
        return 0;
    long index = user_find(e->table, event, name_hash(event));
    return index < 0 ? 0 : emit_ref(e, BUILTIN_COUNT + (unsigned)index, event, ev);
}

/* The library's own events, 'data' above all. The caller passes a valid emitter and id
 * (the id is a constant at every call site). The event is built on the caller's stack
 * and filled in place, no copy. The common case, one listener that is neither once nor
 * removed, is decided and called here with the fewest loads; emit_ready, out of line,
 * handles every other case the same way it handles eddy_emit's. */
int eddy__emit_id_valid(eddy_emitter *e, enum eddy__event_id id, eddy_event *ev)
{
    if (!ev)
        return emit_bare(e, (unsigned)id);
    ev->name = builtin_name(id);
    ev->target = e; /* the emitter is the first member of its owner */
    const struct eddy__emitter_table *t = e->table;
    if (t && !t->stamps && !e->free_pending) {
        /* The one listener of its event, first in the array: always where a 'data'
         * listener is (id 0), and where any event's is when no earlier group has one.
         * items[1] is only read when it holds a listener. */
        const struct listener *l = t->items;
        uint32_t n = t->len;
        if (n != 0 && l->id == (unsigned)id && (n == 1 || l[1].id != (unsigned)id) && !l->once) {
            e->depth++;
            l->fn(ev, l->ctx);
            emitter_leave(e);
            return 1;
        }
    }
    return emit_ready(e, (unsigned)id, ev);
}

size_t eddy_listener_count(const eddy_emitter *e, const char *event)
{
    if (!e || !event || !e->table)
        return 0;
    int id = builtin_id(event);
    if (id >= 0)
        return live_count(e->table, (unsigned)id);
    long index = user_find(e->table, event, name_hash(event));
    return index < 0 ? 0 : live_count(e->table, BUILTIN_COUNT + (unsigned)index);
}

size_t eddy__listener_count_id(const eddy_emitter *e, enum eddy__event_id id)
{
    if (!e || !e->table || (unsigned)id >= BUILTIN_COUNT)
        return 0;
    return live_count(e->table, (unsigned)id);
}

void eddy_set_max_listeners(eddy_emitter *e, size_t n)
{
    if (e)
        e->max_listeners = n > MAX_LISTENERS_LIMIT ? MAX_LISTENERS_LIMIT : (unsigned)n;
}

const char *eddy__event_name(enum eddy__event_id id)
{
    return (unsigned)id < BUILTIN_COUNT ? builtin_name(id) : NULL;
}
