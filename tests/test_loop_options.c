/* eddy_loop_options: what a loop allocates at creation (under 4 KiB with the defaults, as
 * counted through the allocator hook), the read buffer's size as the size of 'data'
 * chunks, the event array that starts tiny and grows, the timer heap's first slots, and
 * the rejection of options out of range. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

/* ---- an allocator that counts live bytes (each test runs in its own process) ---- */

/* Each block carries its size in a header of max_align_t's size, so that free knows what
 * it gives back. */
typedef union {
    size_t size;
    max_align_t align;
} block_head;

static struct {
    size_t live;    /* bytes the library holds now */
    size_t largest; /* the largest single request since the last reset */
} heap;

static void *sized_malloc(size_t n)
{
    block_head *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    heap.live += n;
    if (n > heap.largest)
        heap.largest = n;
    return h + 1;
}

static void *sized_realloc(void *p, size_t n)
{
    if (!p)
        return sized_malloc(n);
    block_head *old = (block_head *)p - 1;
    size_t was = old->size;
    block_head *h = realloc(old, sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    heap.live = heap.live - was + n;
    if (n > heap.largest)
        heap.largest = n;
    return h + 1;
}

static void sized_free(void *p)
{
    block_head *h = (block_head *)p - 1;
    heap.live -= h->size;
    free(h);
}

static void use_sized_allocator(void)
{
    memset(&heap, 0, sizeof heap);
    eddy_set_allocator(sized_malloc, sized_realloc, sized_free);
}

static void restore_allocator(void)
{
    eddy_set_allocator(NULL, NULL, NULL);
}

TestSuite(loop_options, .fini = restore_allocator);

/* ---- heap at creation ---- */

Test(loop_options, default_loop_holds_at_most_4_kib_of_heap_at_creation)
{
    use_sized_allocator();
    eddy_loop *loop = eddy_loop_new();
    cr_assert_not_null(loop);
    size_t at_creation = heap.live;
    cr_log_info("heap at creation: %zu bytes", at_creation);
    cr_assert_leq(at_creation, 4096, "a new loop holds %zu bytes of heap", at_creation);
    /* A first turn with nothing alive allocates nothing more. */
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    cr_assert_eq(heap.live, at_creation);
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_eq(heap.live, 0, "the loop gave back everything");
}

Test(loop_options, options_from_init_behave_as_the_defaults)
{
    eddy_loop_options o;
    memset(&o, 0xff, sizeof o);
    eddy_loop_options_init(&o);
    cr_assert_eq(o.read_buffer_size, 64 * 1024);
    cr_assert_eq(o.io_events, 32);
    cr_assert_eq(o.io_events_max, 1024);
    cr_assert_eq(o.timer_slots, 64);
    eddy_loop_options_init(NULL); /* accepted */

    use_sized_allocator();
    eddy_loop *a = eddy_loop_new();
    size_t by_default = heap.live;
    eddy_loop *b = eddy_loop_new_with(&o);
    cr_assert_not_null(b);
    cr_assert_eq(heap.live - by_default, by_default, "explicit defaults cost what 0s cost");
    cr_assert_eq(eddy_loop_free(a), 0);
    cr_assert_eq(eddy_loop_free(b), 0);
}

Test(loop_options, a_larger_initial_event_array_is_allocated_at_creation)
{
    use_sized_allocator();
    eddy_loop *small = eddy_loop_new();
    size_t small_heap = heap.live;
    eddy_loop_options o = {.io_events = 4096, .io_events_max = 4096};
    eddy_loop *big = eddy_loop_new_with(&o);
    cr_assert_not_null(big);
    /* 4096 entries of at least 8 bytes each (epoll: the kernel's array and the batch;
     * poll: descriptors and watchers; kqueue: events, changes and the batch). */
    cr_assert_geq(heap.live - small_heap, small_heap + 4096 * 8);
    cr_assert_eq(eddy_loop_free(small), 0);
    cr_assert_eq(eddy_loop_free(big), 0);
}

/* ---- validation ---- */

static void assert_rejected(eddy_loop_options o, const char *what)
{
    int err = 1;
    cr_assert_null(eddy_loop_new_ex(&o, &err), "%s was accepted", what);
    cr_assert_eq(err, -EINVAL, "%s: %d", what, err);
    cr_assert_null(eddy_loop_new_with(&o), "%s was accepted", what);
}

Test(loop_options, options_out_of_range_are_rejected_with_einval)
{
    assert_rejected((eddy_loop_options){.read_buffer_size = 16 * 1024 * 1024 + 1},
                    "a read buffer over 16 MiB");
    assert_rejected((eddy_loop_options){.read_buffer_size = SIZE_MAX}, "a read buffer of SIZE_MAX");
    assert_rejected((eddy_loop_options){.io_events = 65537}, "io_events over 65536");
    assert_rejected((eddy_loop_options){.io_events_max = 65537}, "io_events_max over 65536");
    assert_rejected((eddy_loop_options){.io_events = 64, .io_events_max = 63},
                    "io_events_max below io_events");
    assert_rejected((eddy_loop_options){.timer_slots = (1u << 24) + 1}, "timer_slots over 2^24");
}

Test(loop_options, options_at_their_limits_and_null_are_accepted)
{
    int err = 1;
    eddy_loop *loop = eddy_loop_new_ex(NULL, &err);
    cr_assert_not_null(loop);
    cr_assert_eq(err, 0);
    cr_assert_eq(eddy_loop_free(loop), 0);

    eddy_loop_options lo = {.read_buffer_size = 1, .io_events = 1, .io_events_max = 1,
                            .timer_slots = 1};
    loop = eddy_loop_new_ex(&lo, &err);
    cr_assert_not_null(loop);
    cr_assert_eq(err, 0);
    cr_assert_eq(eddy_loop_free(loop), 0);

    /* io_events above the default maximum, with io_events_max left 0: the maximum follows. */
    eddy_loop_options big = {.io_events = 2048};
    loop = eddy_loop_new_ex(&big, NULL);
    cr_assert_not_null(loop);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- the read buffer ---- */

typedef struct {
    size_t total, largest, chunks;
    bool ended;
} data_count;

static void count_data(const eddy_event *ev, void *ctx)
{
    data_count *c = ctx;
    c->total += ev->u.data.len;
    c->chunks++;
    if (ev->u.data.len > c->largest)
        c->largest = ev->u.data.len;
}

static void count_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((data_count *)ctx)->ended = true;
}

/* Sends len bytes through a socketpair to a socket of a loop with read_buffer_size rbuf
 * (0: default) and counts the 'data' events. */
static data_count read_through(size_t rbuf, size_t len)
{
    eddy_loop_options o = {.read_buffer_size = rbuf};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    eddy_socket_options so = {.fd = sv[0]};
    eddy_socket *s = eddy_socket_new(loop, &so);
    cr_assert_not_null(s);
    data_count c = {0};
    eddy_on(eddy_emitter_of(s), "data", count_data, &c);
    eddy_on(eddy_emitter_of(s), "end", count_end, &c);
    unsigned char *bytes = malloc(len);
    memset(bytes, 'x', len);
    cr_assert_eq(write(sv[1], bytes, len), (ssize_t)len); /* fits in the socket's buffer */
    free(bytes);
    close(sv[1]);
    cr_assert(run_loop_for(loop, 5000), "the socket did not close");
    cr_assert(c.ended);
    cr_assert_eq(eddy_loop_free(loop), 0);
    return c;
}

Test(loop_options, a_small_read_buffer_makes_data_chunks_of_at_most_its_size)
{
    data_count c = read_through(100, 10000);
    cr_assert_eq(c.total, 10000);
    cr_assert_leq(c.largest, 100, "a 'data' chunk of %zu bytes", c.largest);
    cr_assert_eq(c.largest, 100, "the reads fill the buffer");
    cr_assert_geq(c.chunks, 100);
}

Test(loop_options, the_default_read_buffer_takes_64_kib_in_one_read)
{
    data_count c = read_through(0, 60000);
    cr_assert_eq(c.total, 60000);
    cr_assert_eq(c.chunks, 1, "%zu chunks", c.chunks);
}

static void tcp_conn_ready(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_on(eddy_emitter_of(conn), "data", count_data, p->user);
}

static void tcp_client_ready(net_pair *p)
{
    static unsigned char block[5000];
    memset(block, 'y', sizeof block);
    eddy_socket_end(p->client, block, sizeof block);
}

Test(loop_options, the_read_buffer_size_bounds_tcp_reads_too)
{
    eddy_loop_options o = {.read_buffer_size = 333};
    data_count c = {0};
    net_pair p = {.user = &c, .conn_ready = tcp_conn_ready, .client_ready = tcp_client_ready};
    int fds_before = open_fd_count(); /* before the loop's own descriptors */
    p.loop = eddy_loop_new_with(&o);
    cr_assert_not_null(p.loop);
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 5000);
    cr_assert_eq(c.total, 5000);
    cr_assert_leq(c.largest, 333, "a 'data' chunk of %zu bytes", c.largest);
    assert_all_released(p.loop, fds_before);
}

Test(loop_options, the_read_buffer_is_allocated_at_the_first_read_not_at_creation)
{
    use_sized_allocator();
    enum { SIZE = 3 * 1024 * 1024 }; /* larger than anything else the scenario allocates */
    eddy_loop_options o = {.read_buffer_size = SIZE};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    cr_assert_lt(heap.largest, SIZE);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    eddy_socket_options so = {.fd = sv[0]};
    eddy_socket *s = eddy_socket_new(loop, &so);
    cr_assert_not_null(s);
    cr_assert_lt(heap.largest, SIZE);
    cr_assert_eq(write(sv[1], "hi", 2), 2);
    close(sv[1]);
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(heap.largest, SIZE, "the read buffer is %zu bytes", heap.largest);
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_eq(heap.live, 0);
}

/* ---- the event array ---- */

enum { PAIRS = 40 };

typedef struct {
    int peers[PAIRS];
    eddy_socket *socks[PAIRS];
    int got[PAIRS]; /* bytes received per socket */
} many;

static void many_data(const eddy_event *ev, void *ctx)
{
    (*(int *)ctx) += (int)ev->u.data.len;
}

static void many_open(many *m, eddy_loop *loop)
{
    for (int i = 0; i < PAIRS; i++) {
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        eddy_socket_options so = {.fd = sv[0]};
        m->socks[i] = eddy_socket_new(loop, &so);
        cr_assert_not_null(m->socks[i]);
        m->peers[i] = sv[1];
        m->got[i] = 0;
        eddy_on(eddy_emitter_of(m->socks[i]), "data", many_data, &m->got[i]);
    }
}

static int many_ready(const many *m, int want)
{
    int n = 0;
    for (int i = 0; i < PAIRS; i++)
        n += m->got[i] >= want;
    return n;
}

/* One byte to every socket, then turns of the loop until each had it; returns the turns
 * and in *first how many sockets the first turn served. */
static int many_round(many *m, eddy_loop *loop, int round, int *first)
{
    for (int i = 0; i < PAIRS; i++)
        cr_assert_eq(write(m->peers[i], "z", 1), 1);
    int turns = 0;
    while (many_ready(m, round) < PAIRS && turns < 10 * PAIRS) {
        eddy_loop_run(loop, EDDY_RUN_ONCE);
        if (++turns == 1)
            *first = many_ready(m, round);
    }
    cr_assert_eq(many_ready(m, round), PAIRS, "round %d: not every socket got its byte", round);
    return turns;
}

static void many_close(many *m, eddy_loop *loop)
{
    for (int i = 0; i < PAIRS; i++)
        close(m->peers[i]); /* each socket sees its end and closes */
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop_options, a_tiny_event_array_grows_until_one_turn_serves_every_socket)
{
    eddy_loop_options o = {.io_events = 1};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    many m;
    many_open(&m, loop);
    int first = 0;
    /* Doubling from 1: 1 + 2 + 4 + 8 + 16 + 32 >= 40 sockets in at most 6 turns (poll and
     * kqueue, whose arrays grew with the registrations, need fewer). */
    int turns = many_round(&m, loop, 1, &first);
    cr_assert_leq(turns, 6, "%d turns to serve %d sockets", turns, PAIRS);
    /* The last of those turns was not full (32 entries for 9 events): the next round's
     * first turn fills the 32 and doubles them once more. */
    turns = many_round(&m, loop, 2, &first);
    cr_assert_leq(turns, 2, "%d turns in the second round", turns);
    turns = many_round(&m, loop, 3, &first);
#if defined(EDDY_BACKEND_KQUEUE) && defined(__linux__)
    /* kqueue on Linux is the test-only shim (tests/support/kqueue_shim.c), which takes at
     * most half as many descriptors as the event list has room for: it never fills the
     * list with read events, so it does not grow past what the 41 registrations made it,
     * and a turn serves half as many sockets as it holds. */
    cr_assert_leq(turns, 2, "%d turns after the growth", turns);
#else
    /* Grown: one turn serves every socket. */
    cr_assert_eq(turns, 1, "%d turns after the growth", turns);
    cr_assert_eq(first, PAIRS);
#endif
    many_close(&m, loop);
}

#if defined(EDDY_BACKEND_EPOLL)
Test(loop_options, the_event_array_grows_no_further_than_io_events_max)
{
    eddy_loop_options o = {.io_events = 2, .io_events_max = 8};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    many m;
    many_open(&m, loop);
    int first = 0;
    many_round(&m, loop, 1, &first); /* grows to 8 */
    int turns = many_round(&m, loop, 2, &first);
    cr_assert_eq(first, 8, "the first turn served %d sockets", first);
    cr_assert_eq(turns, PAIRS / 8, "%d turns at 8 events a turn", turns);
    many_close(&m, loop);
}
#endif

/* ---- the timer heap ---- */

/* Timers 30 ms apart: their order holds even when the test runs slowly (valgrind). */
static void record_order(void *arg)
{
    int *slot = arg;
    static int next;
    *slot = ++next;
}

Test(loop_options, the_timer_heap_gets_timer_slots_at_the_first_timer_and_doubles)
{
    use_sized_allocator();
    enum { SLOTS = 100000 }; /* a heap of 800 KB: the largest request of the test */
    eddy_loop_options o = {.timer_slots = SLOTS};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    cr_assert_lt(heap.largest, SLOTS * sizeof(void *), "the heap was allocated at creation");
    int order[3] = {0};
    cr_assert_not_null(eddy_set_timeout(loop, 90, record_order, &order[2]));
    cr_assert_eq(heap.largest, SLOTS * sizeof(void *));
    cr_assert_not_null(eddy_set_timeout(loop, 30, record_order, &order[0]));
    cr_assert_not_null(eddy_set_timeout(loop, 60, record_order, &order[1]));
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(order[2], 3);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(loop_options, a_one_slot_timer_heap_grows_for_more_timers)
{
    use_sized_allocator();
    eddy_loop_options o = {.timer_slots = 1};
    eddy_loop *loop = eddy_loop_new_with(&o);
    cr_assert_not_null(loop);
    size_t before = heap.live;
    int order[3] = {0};
    cr_assert_not_null(eddy_set_timeout(loop, 90, record_order, &order[2]));
    size_t one_timer = heap.live - before; /* the timer and a heap of one slot */
    cr_assert_not_null(eddy_set_timeout(loop, 30, record_order, &order[0]));
    cr_assert_not_null(eddy_set_timeout(loop, 60, record_order, &order[1]));
    /* three timers and a heap of four slots (1 -> 2 -> 4) */
    size_t timer = one_timer - sizeof(void *);
    cr_assert_eq(heap.live - before, 3 * timer + 4 * sizeof(void *));
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(order[2], 3);
    cr_assert_eq(eddy_loop_free(loop), 0);
}
