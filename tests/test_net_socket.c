/* net.Socket: connecting, writing and its backpressure, ending, destroying, pausing, idle
 * timeouts, options, addresses and counters, ref/unref and pipe. Both ends run in this
 * process on one loop, on the loopback. The event orders themselves are pinned against
 * Node in test_net_events.c; the node scripts behind the expectations here are quoted
 * above the tests where an order or a value comes from Node. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"
#include "loop/loop_internal.h" /* loop->iteration, for the reconnect's direct write below */

/* ---- connecting ---------------------------------------------------------------- */

struct addrs {
    eddy_address client_local, client_remote, conn_local, conn_remote;
    int client_rc[2], conn_rc[2];
    bool seen_client, seen_conn;
};

static void addr_client_connects(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    struct addrs *a = p->user;
    a->client_rc[0] = eddy_socket_address(ev->target, &a->client_local);
    a->client_rc[1] = eddy_socket_remote_address(ev->target, &a->client_remote);
    a->seen_client = true;
    eddy_socket_end(ev->target, NULL, 0);
}

static void addr_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", addr_client_connects, p);
}

static void addr_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct addrs *a = p->user;
    a->conn_rc[0] = eddy_socket_address(conn, &a->conn_local);
    a->conn_rc[1] = eddy_socket_remote_address(conn, &a->conn_remote);
    a->seen_conn = true;
}

static void check_loopback_pair(const net_pair *p, const struct addrs *a, const char *family,
                                const char *ip)
{
    cr_assert(a->seen_client && a->seen_conn);
    cr_assert_eq(a->client_rc[0], 0);
    cr_assert_eq(a->client_rc[1], 0);
    cr_assert_eq(a->conn_rc[0], 0);
    cr_assert_eq(a->conn_rc[1], 0);
    cr_assert_str_eq(a->client_remote.family, family);
    cr_assert_str_eq(a->client_remote.address, ip);
    cr_assert_eq(a->client_remote.port, p->port);
    cr_assert_str_eq(a->client_local.family, family);
    cr_assert_str_eq(a->client_local.address, ip);
    cr_assert_gt(a->client_local.port, 0);
    cr_assert_str_eq(a->conn_local.address, ip);
    cr_assert_eq(a->conn_local.port, p->port);
    cr_assert_str_eq(a->conn_remote.family, family);
    cr_assert_str_eq(a->conn_remote.address, ip);
    cr_assert_eq(a->conn_remote.port, a->client_local.port);
}

Test(socket, connects_to_127_0_0_1_and_reports_ipv4_addresses)
{
    struct addrs a = {0};
    net_pair p = {.client_ready = addr_client_ready, .conn_ready = addr_conn_ready, .user = &a};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    check_loopback_pair(&p, &a, "IPv4", "127.0.0.1");
    assert_all_released(p.loop, p.fds_before);
}

Test(socket, connects_to_ipv6_loopback_and_reports_ipv6_addresses)
{
    if (!ipv6_loopback_available())
        cr_skip_test("IPv6 loopback is not available");
    struct addrs a = {0};
    net_pair p = {.host = "::1",
                  .client_ready = addr_client_ready,
                  .conn_ready = addr_conn_ready,
                  .user = &a};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    check_loopback_pair(&p, &a, "IPv6", "::1");
    assert_all_released(p.loop, p.fds_before);
}

/* node: server on 127.0.0.1, net.createConnection(port, 'localhost') connects (Node 20 tries
 * every address localhost resolves to). With host NULL, eddy connects to "localhost". */
struct lh {
    eddy_loop *loop;
    eddy_server *server;
    const char *host;
    net_log log;
};

static void lh_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct lh *l = ctx;
    eddy_socket *c = eddy_create_connection(l->loop, server_port(l->server), l->host, NULL, NULL);
    cr_assert_not_null(c);
    net_record(&l->log, c, "client", "connect end close error");
    eddy_on(eddy_emitter_of(c), "connect", end_target_listener, NULL);
}

static void lh_connection(const eddy_event *ev, void *ctx)
{
    struct lh *l = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server_listener, l->server);
}

static void run_localhost_case(const char *host)
{
    int fds_before = open_fd_count();
    struct lh l = {.loop = eddy_loop_new(), .host = host};
    l.server = eddy_create_server(l.loop, NULL, lh_connection, &l);
    cr_assert_not_null(l.server);
    cr_assert_eq(eddy_server_listen(l.server, 0, "127.0.0.1", lh_listening, &l), 0);
    cr_assert(loop_ends_by_itself(l.loop, 10000));
    cr_assert_str_eq(l.log.text, "client:connect client:end client:close(false)");
    assert_all_released(l.loop, fds_before);
}

Test(socket, localhost_reaches_a_server_on_127_0_0_1)
{
    run_localhost_case("localhost");
}

Test(socket, null_host_means_localhost)
{
    run_localhost_case(NULL);
}

static void mark_connected(const eddy_event *ev, void *ctx)
{
    (void)ev;
    *(bool *)ctx = true;
}

struct from_loop {
    bool connected;
    bool connected_inside_create;
};

static void fl_client_ready(net_pair *p)
{
    struct from_loop *f = p->user;
    f->connected_inside_create = f->connected;
    eddy_on(eddy_emitter_of(p->client), "connect", mark_connected, &f->connected);
    eddy_on(eddy_emitter_of(p->client), "connect", end_target_listener, NULL);
}

Test(socket, connect_is_emitted_from_the_loop_not_inside_create_connection)
{
    struct from_loop f = {0};
    net_pair p = {.client_ready = fl_client_ready, .user = &f};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert(!f.connected_inside_create);
    cr_assert(f.connected);
    assert_all_released(p.loop, p.fds_before);
}

Test(socket, invalid_connect_arguments_are_refused_at_once)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    cr_assert_null(eddy_create_connection(loop, -1, "127.0.0.1", NULL, NULL));
    cr_assert_null(eddy_create_connection(loop, 65536, "127.0.0.1", NULL, NULL));
    cr_assert_null(eddy_create_connection(NULL, 80, "127.0.0.1", NULL, NULL));
    eddy_socket *s = eddy_socket_new(loop, NULL);
    cr_assert_not_null(s);
    cr_assert_eq(eddy_socket_connect(s, 70000, "127.0.0.1", NULL, NULL), -EINVAL);
    /* A host that is not an IP literal is a name: looked up, and failures are events
     * (test_resolve.c). */
    eddy_address a;
    cr_assert_eq(eddy_socket_remote_address(s, &a), -ENOTCONN);
    cr_assert_eq(eddy_socket_address(s, &a), -ENOTCONN);
    int closes = 0;
    eddy_on(eddy_emitter_of(s), "close", count_listener, &closes);
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(closes, 1);
    assert_all_released(loop, fds_before);
}

static void twice_client_ready(net_pair *p)
{
    int *rc = p->user;
    *rc = eddy_socket_connect(p->client, p->port, "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(p->client), "connect", end_target_listener, NULL);
}

Test(socket, connecting_a_socket_that_is_already_connecting_returns_einval)
{
    int rc = 0;
    net_pair p = {.client_ready = twice_client_ready, .user = &rc};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(rc, -EINVAL);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- writing ------------------------------------------------------------------- */

/* node: three writes before 'connect', then end(): the peer reads "one two three" */
static void bc_client_ready(net_pair *p)
{
    cr_assert(eddy_socket_write(p->client, "one ", 4, NULL, NULL));
    cr_assert(eddy_socket_write(p->client, "two ", 4, NULL, NULL));
    cr_assert(eddy_socket_write(p->client, "three", 5, NULL, NULL));
    cr_assert_eq(eddy_socket_buffer_size(p->client), 13);
    cr_assert_eq(eddy_socket_end(p->client, NULL, 0), 0);
}

Test(socket, writes_before_connect_are_queued_and_sent_in_order_after_it)
{
    net_pair p = {.client_ready = bc_client_ready};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:data(one two three) "
                                  "conn:end conn:close(false) server:close");
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* node (n_hwm.js): before 'connect',
 *   s.write(Buffer.alloc(16383)) -> true  (writableLength 16383)
 *   s.write(Buffer.alloc(1))     -> false (16384)
 *   s.write(Buffer.alloc(1))     -> false (16385); then 'drain' with writableLength 0 */
struct hwm16 {
    bool r1, r2, r3;
    size_t q1, q2, q3, q_in_drain;
    int drains;
};

static void hwm16_drain(const eddy_event *ev, void *ctx)
{
    struct hwm16 *h = ctx;
    h->drains++;
    h->q_in_drain = eddy_socket_buffer_size(ev->target);
    eddy_socket_end(ev->target, NULL, 0);
}

static void hwm16_client_ready(net_pair *p)
{
    struct hwm16 *h = p->user;
    static unsigned char zeros[16383];
    h->r1 = eddy_socket_write(p->client, zeros, sizeof zeros, NULL, NULL);
    h->q1 = eddy_socket_buffer_size(p->client);
    h->r2 = eddy_socket_write(p->client, zeros, 1, NULL, NULL);
    h->q2 = eddy_socket_buffer_size(p->client);
    h->r3 = eddy_socket_write(p->client, zeros, 1, NULL, NULL);
    h->q3 = eddy_socket_buffer_size(p->client);
    eddy_on(eddy_emitter_of(p->client), "drain", hwm16_drain, h);
}

Test(socket, write_returns_false_at_the_16_kib_default_high_water_mark_and_drain_follows)
{
    struct hwm16 h = {0};
    net_pair p = {.client_ready = hwm16_client_ready, .user = &h, .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert(h.r1);
    cr_assert_eq(h.q1, 16383);
    cr_assert(!h.r2);
    cr_assert_eq(h.q2, 16384);
    cr_assert(!h.r3);
    cr_assert_eq(h.q3, 16385);
    cr_assert_eq(h.drains, 1);
    cr_assert_eq(h.q_in_drain, 0);
    assert_all_released(p.loop, p.fds_before);
}

/* The contract at every write, whatever the kernel takes: write() returns true exactly when
 * the bytes still queued afterwards are below the high-water mark. The reader is paused so
 * that the queue builds up; the first false comes with hwm <= queue < hwm + one chunk. */
enum { PROBE_CHUNK = 1024 };

struct hwm_probe {
    size_t hwm;
    eddy_socket *writer, *reader;
    bool invariant_held;
    bool saw_false;
    size_t queue_at_first_false;
    size_t written, received;
    int drains;
    size_t queue_in_drain;
    eddy_loop *loop;
};

static void probe_resume_reader(void *arg)
{
    struct hwm_probe *h = arg;
    if (!h->reader) { /* not accepted yet */
        cr_assert_not_null(eddy_set_timeout(h->loop, 10, probe_resume_reader, h));
        return;
    }
    eddy_socket_resume(h->reader);
}

static void probe_write_until_false(struct hwm_probe *h)
{
    static unsigned char chunk[PROBE_CHUNK];
    h->invariant_held = true;
    for (int i = 0; i < 65536; i++) {
        bool r = eddy_socket_write(h->writer, chunk, sizeof chunk, NULL, NULL);
        size_t q = eddy_socket_buffer_size(h->writer);
        h->written += sizeof chunk;
        if (r != (q < h->hwm))
            h->invariant_held = false;
        if (!r) {
            h->saw_false = true;
            h->queue_at_first_false = q;
            break;
        }
    }
    cr_assert_not_null(eddy_set_timeout(h->loop, 20, probe_resume_reader, h));
}

static void probe_drain(const eddy_event *ev, void *ctx)
{
    struct hwm_probe *h = ctx;
    h->drains++;
    h->queue_in_drain = eddy_socket_buffer_size(ev->target);
    eddy_socket_end(ev->target, NULL, 0);
}

static void probe_count(const eddy_event *ev, void *ctx)
{
    ((struct hwm_probe *)ctx)->received += ev->u.data.len;
}

/* writer: the accepted connection; reader: the client, paused before connect */
static void probe_conn_writes(net_pair *p, eddy_socket *conn)
{
    struct hwm_probe *h = p->user;
    h->writer = conn;
    h->reader = p->client;
    eddy_on(eddy_emitter_of(conn), "drain", probe_drain, h);
    probe_write_until_false(h);
}

static void probe_client_paused(net_pair *p)
{
    struct hwm_probe *h = p->user;
    eddy_socket_pause(p->client);
    eddy_on(eddy_emitter_of(p->client), "data", probe_count, h);
}

/* writer: the client, once connected; reader: the accepted connection, paused at once */
static void probe_client_connects(const eddy_event *ev, void *ctx)
{
    (void)ev;
    probe_write_until_false(ctx);
}

static void probe_client_writes(net_pair *p)
{
    struct hwm_probe *h = p->user;
    h->writer = p->client;
    eddy_on(eddy_emitter_of(p->client), "drain", probe_drain, h);
    eddy_on(eddy_emitter_of(p->client), "connect", probe_client_connects, h);
}

static void probe_conn_paused(net_pair *p, eddy_socket *conn)
{
    struct hwm_probe *h = p->user;
    h->reader = conn;
    eddy_socket_pause(conn);
    eddy_on(eddy_emitter_of(conn), "data", probe_count, h);
}

static void check_probe(const struct hwm_probe *h)
{
    cr_assert(h->saw_false, "write never returned false (%zu bytes written)", h->written);
    cr_assert(h->invariant_held, "a write returned true at or above the mark, or false below");
    cr_assert_geq(h->queue_at_first_false, h->hwm);
    cr_assert_lt(h->queue_at_first_false, h->hwm + PROBE_CHUNK);
    cr_assert_eq(h->drains, 1);
    cr_assert_eq(h->queue_in_drain, 0);
    cr_assert_eq(h->received, h->written);
}

/* One side writes until write returns false, the other reads only once it has; then the
 * probe's checks (check_probe). The writer is the client when client_writes, else the
 * accepted socket; p carries the test's own options. */
static void run_probe(struct hwm_probe *h, net_pair *p, const eddy_server_options *opts,
                      bool client_writes)
{
    p->client_ready = client_writes ? probe_client_writes : probe_client_paused;
    p->conn_ready = client_writes ? probe_conn_paused : probe_conn_writes;
    p->user = h;
    p->client_events = "connect end close error";
    p->conn_events = "end close error";
    net_pair_start(p, opts);
    h->loop = p->loop;
    assert_pair_ends(p, 30000);
    check_probe(h);
}

Test(socket, write_returns_true_exactly_while_the_queue_is_below_the_default_mark)
{
    struct hwm_probe h = {.hwm = 16384};
    net_pair p = {0};
    run_probe(&h, &p, NULL, false);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

Test(socket, server_high_water_mark_option_applies_to_accepted_sockets)
{
    struct hwm_probe h = {.hwm = 4096};
    net_pair p = {0};
    eddy_server_options opts = {.high_water_mark = 4096};
    run_probe(&h, &p, &opts, false);
    assert_all_released(p.loop, p.fds_before);
}

Test(socket, socket_high_water_mark_option_sets_the_write_limit)
{
    struct hwm_probe h = {.hwm = 4096};
    eddy_socket_options copts = {.fd = -1, .high_water_mark = 4096};
    net_pair p = {.client_opts = &copts};
    run_probe(&h, &p, NULL, true);
    assert_all_released(p.loop, p.fds_before);
}

/* Node's net.connect({highWaterMark}): the connect options' mark, kept in the socket's
 * on-demand part like the others, limits the client's writes. */
Test(socket, connect_high_water_mark_option_sets_the_write_limit)
{
    struct hwm_probe h = {.hwm = 4096};
    eddy_connect_options co = {.high_water_mark = 4096};
    net_pair p = {.client_connect = &co};
    run_probe(&h, &p, NULL, true);
    assert_all_released(p.loop, p.fds_before);
}

/* node (p_cb_order.js): write callbacks get null once their bytes were handed to the
 * kernel, in write order. */
struct wcb {
    int order[8];
    int status[8];
    int n;
    bool inside_write;
    bool ran_inside_write;
};

static void wcb_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct wcb *w = ctx;
    if (w->inside_write)
        w->ran_inside_write = true;
    w->status[w->n] = status;
    w->order[w->n++] = (int)eddy_socket_bytes_written(s);
}

static void wcb_client_connects(const eddy_event *ev, void *ctx)
{
    struct wcb *w = ctx;
    w->inside_write = true;
    eddy_socket_write(ev->target, "abc", 3, wcb_cb, w);
    eddy_socket_write(ev->target, "defg", 4, wcb_cb, w);
    eddy_socket_write(ev->target, "h", 1, wcb_cb, w);
    w->inside_write = false;
    eddy_socket_end(ev->target, NULL, 0);
}

static void wcb_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", wcb_client_connects, p->user);
}

Test(socket, write_callbacks_run_in_order_with_status_zero_once_the_kernel_has_the_bytes)
{
    struct wcb w = {0};
    net_pair p = {.client_ready = wcb_client_ready, .user = &w};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert(!w.ran_inside_write);
    cr_assert_eq(w.n, 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(w.status[i], 0);
    /* each callback saw at least its own bytes (and those before them) written */
    cr_assert_geq(w.order[0], 3);
    cr_assert_geq(w.order[1], 7);
    cr_assert_geq(w.order[2], 8);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:data(abcdefgh) "
                                  "conn:end conn:close(false) server:close");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- ending -------------------------------------------------------------------- */

/* node: 1 MiB written before 'connect', then s.end('tail'): the peer reads every byte,
 * then 'end'. */
enum { BIG = 1 << 20 };

struct flush {
    uint64_t sent_hash, got_hash;
    size_t got;
    size_t got_at_end;
    unsigned char *buf;
};

static void flush_conn_data(const eddy_event *ev, void *ctx)
{
    struct flush *f = ctx;
    f->got_hash = fnv1a(f->got_hash, ev->u.data.bytes, ev->u.data.len);
    f->got += ev->u.data.len;
}

static void flush_conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct flush *f = ctx;
    f->got_at_end = f->got;
}

static void flush_conn_ready(net_pair *p, eddy_socket *conn)
{
    eddy_on(eddy_emitter_of(conn), "data", flush_conn_data, p->user);
    eddy_on(eddy_emitter_of(conn), "end", flush_conn_end, p->user);
}

static void flush_client_ready(net_pair *p)
{
    struct flush *f = p->user;
    uint64_t seed = 42;
    prng_fill(&seed, f->buf, BIG);
    f->sent_hash = fnv1a(fnv1a(FNV1A_INIT, f->buf, BIG), "tail", 4);
    eddy_socket_write(p->client, f->buf, BIG, NULL, NULL);
    cr_assert_eq(eddy_socket_end(p->client, "tail", 4), 0);
    /* the socket copied what it queued: scribbling on the buffer changes nothing */
    memset(f->buf, 0, BIG);
}

Test(socket, end_flushes_queued_writes_before_fin)
{
    struct flush f = {.got_hash = FNV1A_INIT, .buf = malloc(BIG)};
    net_pair p = {.client_ready = flush_client_ready,
                  .conn_ready = flush_conn_ready,
                  .user = &f,
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 30000);
    cr_assert_eq(f.got_at_end, (size_t)BIG + 4);
    cr_assert_eq(f.got_hash, f.sent_hash);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end "
                                  "conn:close(false) server:close");
    free(f.buf);
    assert_all_released(p.loop, p.fds_before);
}

static void twice_end_client_connects(const eddy_event *ev, void *ctx)
{
    int *rcs = ctx;
    rcs[0] = eddy_socket_end(ev->target, "x", 1);
    rcs[1] = eddy_socket_end(ev->target, NULL, 0);
    rcs[2] = eddy_socket_end(NULL, NULL, 0);
}

static void twice_end_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", twice_end_client_connects, p->user);
}

/* node: s.end('x'); s.end() -> the peer reads "x" then one 'end'. (Node's s.end('y') after
 * an end is a write after end; eddy's header says a second end does nothing at all, so
 * only the data-less second end is Node's behaviour as well.) */
Test(socket, ending_twice_does_nothing_more)
{
    int rcs[3] = {1, 1, 1};
    net_pair p = {.client_ready = twice_end_client_ready, .user = rcs};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(rcs[0], 0);
    cr_assert_eq(rcs[1], 0);
    cr_assert_eq(rcs[2], -EINVAL);
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:data(x) conn:end "
                                  "conn:close(false) server:close");
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* node: the client calls s.end() on 'connect'; the server (allowHalfOpen true) answers
 * 20 ms after its 'end': the client still reads the answer after its own end.
 * observed client: connect data(late reply) end close(false) */
static void late_reply(void *arg)
{
    net_pair *p = arg;
    eddy_socket_end(p->conn, "late reply", 10);
}

static void late_conn_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    net_pair *p = ctx;
    cr_assert_not_null(eddy_set_timeout(p->loop, 20, late_reply, p));
}

static void late_conn_ready(net_pair *p, eddy_socket *conn)
{
    eddy_on(eddy_emitter_of(conn), "end", late_conn_end, p);
}

static void late_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", end_target_listener, NULL);
}

Test(socket, data_keeps_arriving_after_our_own_end)
{
    net_pair p = {.client_ready = late_client_ready, .conn_ready = late_conn_ready};
    eddy_server_options opts = {.allow_half_open = true};
    net_pair_start(&p, &opts);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text,
                     "client:connect client:data(late reply) client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* node (m_flush_before_fin.js): conn (allowHalfOpen false) writes a large buffer; the
 * client ends at once: conn 'end', and its own FIN only follows the whole buffer.
 * observed: client: connect, end after 262144 bytes, close(false)
 * Here the client is paused until the conn's 'end', so that the conn's queue is still
 * full when the FIN arrives. */
enum { FIN_BYTES = 8 << 20 };

struct finq {
    size_t got, got_at_end;
    size_t conn_queue_at_end;
};

static void finq_client_data(const eddy_event *ev, void *ctx)
{
    ((struct finq *)ctx)->got += ev->u.data.len;
}

static void finq_client_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct finq *f = ctx;
    f->got_at_end = f->got;
}

static void finq_client_ready(net_pair *p)
{
    eddy_socket_pause(p->client);
    eddy_on(eddy_emitter_of(p->client), "connect", end_target_listener, NULL);
    eddy_on(eddy_emitter_of(p->client), "data", finq_client_data, p->user);
    eddy_on(eddy_emitter_of(p->client), "end", finq_client_end, p->user);
}

static void finq_conn_end(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    struct finq *f = p->user;
    f->conn_queue_at_end = eddy_socket_buffer_size(ev->target);
    eddy_socket_resume(p->client);
}

static void finq_conn_ready(net_pair *p, eddy_socket *conn)
{
    unsigned char *big = calloc(1, FIN_BYTES);
    eddy_socket_write(conn, big, FIN_BYTES, NULL, NULL);
    free(big);
    eddy_on(eddy_emitter_of(conn), "end", finq_conn_end, p);
}

Test(socket, peer_fin_without_half_open_ends_our_side_only_after_our_queue_flushed)
{
    struct finq f = {0};
    net_pair p = {.client_ready = finq_client_ready,
                  .conn_ready = finq_conn_ready,
                  .user = &f,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 30000);
    cr_assert_gt(f.conn_queue_at_end, 0, "the kernel took all 8 MiB: the scenario is void");
    cr_assert_eq(f.got_at_end, (size_t)FIN_BYTES);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end "
                                  "conn:close(false) server:close");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- errors -------------------------------------------------------------------- */

/* Writing to a peer that has gone away: the kernel answers EPIPE, and with SIGPIPE at its
 * default action the process would die if eddy let the signal be raised. The client is
 * half-open so that it may keep writing after the peer's FIN. */
struct pipe_err {
    eddy_timer *interval;
    eddy_socket *client;
    bool error_inside_write;
    bool in_write;
};

static void pe_write_tick(void *arg)
{
    struct pipe_err *e = arg;
    static unsigned char kb[1024];
    e->in_write = true;
    eddy_socket_write(e->client, kb, sizeof kb, NULL, NULL);
    e->in_write = false;
}

static void pe_client_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    net_pair *p = ctx;
    struct pipe_err *e = p->user;
    e->client = p->client;
    e->interval = eddy_set_interval(p->loop, 5, pe_write_tick, e);
    cr_assert_not_null(e->interval);
}

static void pe_client_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct pipe_err *e = ctx;
    if (e->in_write)
        e->error_inside_write = true;
}

static void pe_client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct pipe_err *e = ctx;
    eddy_clear_timer(e->interval);
    e->interval = NULL;
}

static void pe_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "end", pe_client_end, p);
    eddy_on(eddy_emitter_of(p->client), "error", pe_client_error, p->user);
    eddy_on(eddy_emitter_of(p->client), "close", pe_client_close, p->user);
}

static void pe_conn_ready(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_socket_destroy(conn);
}

Test(socket, writing_to_a_closed_peer_errors_and_never_raises_sigpipe)
{
    signal(SIGPIPE, SIG_DFL);
    struct pipe_err e = {0};
    eddy_socket_options copts = {.fd = -1, .allow_half_open = true};
    net_pair p = {.client_opts = &copts,
                  .client_ready = pe_client_ready,
                  .conn_ready = pe_conn_ready,
                  .user = &e,
                  .client_events = "connect end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    static const char *const ok[] = {
        "client:connect client:end client:error(EPIPE,write) client:close(true)",
        "client:connect client:end client:error(ECONNRESET,write) client:close(true)",
        "client:connect client:end client:error(ECONNRESET,read) client:close(true)", NULL};
    cr_assert(str_is_one_of(p.clog.text, ok), "client: %s", p.clog.text);
    cr_assert(!e.error_inside_write, "'error' was emitted inside eddy_socket_write");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- destroy ------------------------------------------------------------------- */

/* node (o_destroy_cbs.js): callbacks of queued writes get an error when the socket is
 * destroyed, in order, after destroy returned; eddy gives -ECANCELED. */
struct dcb {
    int statuses[4];
    int n;
};

static void dcb_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    struct dcb *d = ctx;
    if (d->n < 4)
        d->statuses[d->n] = status;
    d->n++;
}

static void dcb_client_connects(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    struct dcb *d = p->user;
    /* fill the kernel buffers (the peer cannot read while this listener runs), then queue
     * three more writes behind them */
    static unsigned char chunk[65536];
    for (int i = 0; i < 4096 && eddy_socket_buffer_size(ev->target) == 0; i++)
        eddy_socket_write(ev->target, chunk, sizeof chunk, NULL, NULL);
    cr_assert_gt(eddy_socket_buffer_size(ev->target), 0);
    eddy_socket_write(ev->target, "a", 1, dcb_cb, d);
    eddy_socket_write(ev->target, "b", 1, dcb_cb, d);
    eddy_socket_write(ev->target, "c", 1, dcb_cb, d);
    eddy_socket_destroy(ev->target);
}

static void dcb_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", dcb_client_connects, p);
}

Test(socket, destroy_cancels_queued_write_callbacks_with_ecanceled_in_order)
{
    struct dcb d = {0};
    net_pair p = {.client_ready = dcb_client_ready,
                  .user = &d,
                  .client_events = "connect close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 30000);
    cr_assert_eq(d.n, 3);
    cr_assert_eq(d.statuses[0], -ECANCELED);
    cr_assert_eq(d.statuses[1], -ECANCELED);
    cr_assert_eq(d.statuses[2], -ECANCELED);
    cr_assert_str_eq(p.clog.text, "client:connect client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- pause and resume ------------------------------------------------------------ */

/* node: the reader pauses; the writer's write() turns false and writableLength grows
 * while the reader is paused; after resume every byte arrives and 'drain' fires. */
struct bp {
    eddy_loop *loop;
    eddy_socket *reader, *writer;
    size_t written, received, queued_while_paused;
    bool saw_false;
    int drains;
};

static void bp_resume(void *arg)
{
    struct bp *b = arg;
    b->queued_while_paused = eddy_socket_buffer_size(b->writer);
    eddy_socket_resume(b->reader);
}

static void bp_writer_drain(const eddy_event *ev, void *ctx)
{
    struct bp *b = ctx;
    b->drains++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void bp_reader_data(const eddy_event *ev, void *ctx)
{
    ((struct bp *)ctx)->received += ev->u.data.len;
}

static void bp_client_connects(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_pause(ev->target);
}

static void bp_client_ready(net_pair *p)
{
    struct bp *b = p->user;
    b->reader = p->client;
    eddy_on(eddy_emitter_of(p->client), "connect", bp_client_connects, b);
    eddy_on(eddy_emitter_of(p->client), "data", bp_reader_data, b);
}

static void bp_start_writing(void *arg)
{
    struct bp *b = arg;
    static unsigned char chunk[65536];
    for (int i = 0; i < 4096; i++) {
        b->written += sizeof chunk;
        if (!eddy_socket_write(b->writer, chunk, sizeof chunk, NULL, NULL)) {
            b->saw_false = true;
            break;
        }
    }
    cr_assert_not_null(eddy_set_timeout(b->loop, 30, bp_resume, b));
}

static void bp_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct bp *b = p->user;
    b->writer = conn;
    eddy_on(eddy_emitter_of(conn), "drain", bp_writer_drain, b);
    /* start once the client surely got 'connect' (and paused) */
    cr_assert_not_null(eddy_set_timeout(p->loop, 20, bp_start_writing, b));
}

Test(socket, pause_stops_reading_so_the_peer_feels_backpressure)
{
    struct bp b = {0};
    net_pair p = {.client_ready = bp_client_ready,
                  .conn_ready = bp_conn_ready,
                  .user = &b,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    b.loop = p.loop;
    assert_pair_ends(&p, 30000);
    cr_assert(b.saw_false, "the writer never felt backpressure (%zu bytes)", b.written);
    cr_assert_gt(b.queued_while_paused, 0);
    cr_assert_eq(b.drains, 1);
    cr_assert_eq(b.received, b.written);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* Before connect, the last of pause/resume wins. The conn writes "hello" and ends; a paused
 * client sees nothing until it is resumed 50 ms later. */
struct pbc {
    bool resumed;
    bool data_before_resume;
    bool pause_last;
};

static void pbc_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct pbc *c = ctx;
    if (!c->resumed)
        c->data_before_resume = true;
}

static void pbc_resume(void *arg)
{
    net_pair *p = arg;
    struct pbc *c = p->user;
    c->resumed = true;
    eddy_socket_resume(p->client);
}

static void pbc_client_ready(net_pair *p)
{
    struct pbc *c = p->user;
    if (c->pause_last) {
        eddy_socket_resume(p->client);
        eddy_socket_pause(p->client);
        cr_assert_not_null(eddy_set_timeout(p->loop, 50, pbc_resume, p));
    } else {
        eddy_socket_pause(p->client);
        eddy_socket_resume(p->client);
        c->resumed = true;
    }
    eddy_on(eddy_emitter_of(p->client), "data", pbc_data, c);
}

static void pbc_conn_ready(net_pair *p, eddy_socket *conn)
{
    (void)p;
    eddy_socket_end(conn, "hello", 5);
}

Test(socket, pause_then_resume_before_connect_reads_normally)
{
    struct pbc c = {.pause_last = false};
    net_pair p = {.client_ready = pbc_client_ready, .conn_ready = pbc_conn_ready, .user = &c};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_str_eq(p.clog.text,
                     "client:connect client:data(hello) client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

Test(socket, resume_then_pause_before_connect_stays_paused_until_resumed)
{
    struct pbc c = {.pause_last = true};
    net_pair p = {.client_ready = pbc_client_ready, .conn_ready = pbc_conn_ready, .user = &c};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert(!c.data_before_resume, "a paused socket emitted 'data'");
    cr_assert_str_eq(p.clog.text,
                     "client:connect client:data(hello) client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

static void poc_client_connects(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->target, "ping", 4);
}

static void poc_resume_conn(void *arg)
{
    net_pair *p = arg;
    struct pbc *c = p->user;
    c->resumed = true;
    eddy_socket_resume(p->conn);
}

static void poc_conn_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct pbc *c = ctx;
    if (!c->resumed)
        c->data_before_resume = true;
}

static void poc_conn_ready(net_pair *p, eddy_socket *conn)
{
    eddy_on(eddy_emitter_of(conn), "data", poc_conn_data, p->user);
    cr_assert_not_null(eddy_set_timeout(p->loop, 50, poc_resume_conn, p));
}

static void poc_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", poc_client_connects, NULL);
}

Test(socket, server_pause_on_connect_option_starts_accepted_sockets_paused)
{
    struct pbc c = {0};
    net_pair p = {.client_ready = poc_client_ready, .conn_ready = poc_conn_ready, .user = &c};
    eddy_server_options opts = {.pause_on_connect = true};
    net_pair_start(&p, &opts);
    assert_pair_ends(&p, 10000);
    cr_assert(!c.data_before_resume, "an accepted socket read before it was resumed");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:data(ping) conn:end "
                                  "conn:close(false) server:close");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- idle timeout ---------------------------------------------------------------- */

/* Reads re-arm the timer: the conn writes every 20 ms for 600 ms, the client's timeout is
 * 300 ms, so it fires only once the conn has gone quiet (node: same, one 'timeout'). The
 * timeout is 15 ticks long so that a loaded machine (CI runs suites side by side) can stall
 * the ticker for a while without a false 'timeout'; 30 ticks still outlast it twice. */
struct rearm {
    eddy_loop *loop;
    eddy_socket *conn, *client;
    eddy_timer *ticker;
    int ticks;
    int timeouts;
    int ticks_at_timeout;
};

static void rearm_tick(void *arg)
{
    struct rearm *r = arg;
    if (++r->ticks == 30) {
        eddy_clear_timer(r->ticker);
        return;
    }
    eddy_socket_write(r->conn, "t", 1, NULL, NULL);
}

static void rearm_timeout(const eddy_event *ev, void *ctx)
{
    struct rearm *r = ctx;
    if (r->timeouts++ == 0)
        r->ticks_at_timeout = r->ticks;
    eddy_socket_end(ev->target, NULL, 0);
}

static void rearm_client_connects(const eddy_event *ev, void *ctx)
{
    struct rearm *r = ctx;
    eddy_socket_set_timeout(ev->target, 300, NULL, NULL);
    eddy_on(eddy_emitter_of(ev->target), "timeout", rearm_timeout, r);
}

static void rearm_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", rearm_client_connects, p->user);
}

static void rearm_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct rearm *r = p->user;
    r->conn = conn;
    r->ticker = eddy_set_interval(p->loop, 20, rearm_tick, r);
    cr_assert_not_null(r->ticker);
}

Test(socket, reads_rearm_the_idle_timeout)
{
    struct rearm r = {0};
    net_pair p = {.client_ready = rearm_client_ready,
                  .conn_ready = rearm_conn_ready,
                  .user = &r,
                  .client_events = "connect end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(r.timeouts, 1);
    cr_assert_eq(r.ticks_at_timeout, 30, "'timeout' fired while data was arriving");
    assert_all_released(p.loop, p.fds_before);
}

/* setTimeout(30) then setTimeout(0): no 'timeout' in the next 200 ms idle. */
struct off {
    int timeouts;
};

static void off_finish(void *arg)
{
    net_pair *p = arg;
    eddy_socket_end(p->client, NULL, 0);
}

static void off_client_connects(const eddy_event *ev, void *ctx)
{
    net_pair *p = ctx;
    struct off *o = p->user;
    eddy_socket_set_timeout(ev->target, 30, count_listener, &o->timeouts);
    eddy_socket_set_timeout(ev->target, 0, NULL, NULL);
    cr_assert_not_null(eddy_set_timeout(p->loop, 200, off_finish, p));
}

static void off_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", off_client_connects, p);
}

Test(socket, timeout_zero_turns_the_idle_timer_off)
{
    struct off o = {0};
    net_pair p = {.client_ready = off_client_ready, .user = &o};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(o.timeouts, 0);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* A 10 s idle timer on a socket that ends at once: the loop ends with the socket, it does
 * not wait for the timer. */
static void lt_client_connects(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_set_timeout(ev->target, 10000, NULL, NULL);
    eddy_socket_end(ev->target, NULL, 0);
}

static void lt_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", lt_client_connects, NULL);
}

Test(socket, an_idle_timer_does_not_keep_the_loop_alive)
{
    net_pair p = {.client_ready = lt_client_ready};
    net_pair_start(&p, NULL);
    uint64_t t0 = mono_ns();
    assert_pair_ends(&p, 8000);
    cr_assert_lt(mono_ns() - t0, 5000000000ull);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- options ------------------------------------------------------------------- */

struct opts_rc {
    int before[3], after[3];
};

static void opts_client_connects(const eddy_event *ev, void *ctx)
{
    struct opts_rc *o = ctx;
    o->after[0] = eddy_socket_set_no_delay(ev->target, true);
    o->after[1] = eddy_socket_set_keep_alive(ev->target, true, 1000);
    o->after[2] = eddy_socket_set_keep_alive(ev->target, false, 0);
    eddy_socket_end(ev->target, NULL, 0);
}

static void opts_client_ready(net_pair *p)
{
    struct opts_rc *o = p->user;
    o->before[0] = eddy_socket_set_no_delay(p->client, true);
    o->before[1] = eddy_socket_set_keep_alive(p->client, true, 0);
    o->before[2] = eddy_socket_set_keep_alive(p->client, true, 2000);
    eddy_on(eddy_emitter_of(p->client), "connect", opts_client_connects, o);
}

Test(socket, no_delay_and_keep_alive_can_be_set_before_and_after_connect)
{
    struct opts_rc o = {{-1, -1, -1}, {-1, -1, -1}};
    net_pair p = {.client_ready = opts_client_ready, .user = &o};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(o.before[i], 0);
        cr_assert_eq(o.after[i], 0);
    }
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    assert_all_released(p.loop, p.fds_before);
}

/* ---- addresses and counters -------------------------------------------------------- */

/* node: remoteAddress/remotePort stay readable in 'close' (address() becomes {} there in
 * Node; eddy's header promises both). */
struct inclose {
    eddy_address cl, cr, sl, sr;
    int rc[4];
    uint64_t c_read, c_written, s_read, s_written;
};

static void ic_client_close(const eddy_event *ev, void *ctx)
{
    struct inclose *c = ctx;
    c->rc[0] = eddy_socket_address(ev->target, &c->cl);
    c->rc[1] = eddy_socket_remote_address(ev->target, &c->cr);
    c->c_read = eddy_socket_bytes_read(ev->target);
    c->c_written = eddy_socket_bytes_written(ev->target);
}

static void ic_conn_close(const eddy_event *ev, void *ctx)
{
    struct inclose *c = ctx;
    c->rc[2] = eddy_socket_address(ev->target, &c->sl);
    c->rc[3] = eddy_socket_remote_address(ev->target, &c->sr);
    c->s_read = eddy_socket_bytes_read(ev->target);
    c->s_written = eddy_socket_bytes_written(ev->target);
}

static void ic_conn_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    /* answer twice the bytes */
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void ic_conn_ready(net_pair *p, eddy_socket *conn)
{
    eddy_on(eddy_emitter_of(conn), "data", ic_conn_data, NULL);
    eddy_on(eddy_emitter_of(conn), "close", ic_conn_close, p->user);
}

static void ic_client_ready(net_pair *p)
{
    static char msg[1000];
    memset(msg, 'm', sizeof msg);
    eddy_socket_end(p->client, msg, sizeof msg);
    eddy_on(eddy_emitter_of(p->client), "close", ic_client_close, p->user);
}

Test(socket, addresses_and_byte_counts_are_still_readable_in_close)
{
    struct inclose c = {.rc = {1, 1, 1, 1}};
    net_pair p = {.client_ready = ic_client_ready,
                  .conn_ready = ic_conn_ready,
                  .user = &c,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(c.rc[i], 0, "address call %d failed in 'close'", i);
    cr_assert_str_eq(c.cr.family, "IPv4");
    cr_assert_str_eq(c.cr.address, "127.0.0.1");
    cr_assert_eq(c.cr.port, p.port);
    cr_assert_str_eq(c.cl.address, "127.0.0.1");
    cr_assert_eq(c.sl.port, p.port);
    cr_assert_str_eq(c.sr.address, "127.0.0.1");
    cr_assert_eq(c.sr.port, c.cl.port);
    cr_assert_eq(c.c_written, 1000);
    cr_assert_eq(c.s_read, 1000);
    cr_assert_eq(c.s_written, 2000);
    cr_assert_eq(c.c_read, 2000);
    assert_all_released(p.loop, p.fds_before);
}

/* The local address is not kept per connection: it is asked of the kernel, also in
 * 'close' after the peer reset the connection (the fd stays open until 'close' ran). The
 * remote one is cached, since the kernel forgets it with the reset. */
static void reset_client_connects(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_reset_and_destroy(ev->target);
}

static void reset_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", reset_client_connects, NULL);
}

static void reset_conn_ready(net_pair *p, eddy_socket *conn)
{
    eddy_on(eddy_emitter_of(conn), "close", ic_conn_close, p->user);
}

Test(socket, addresses_are_readable_in_close_after_the_peer_reset)
{
    struct inclose c = {.rc = {1, 1, 1, 1}};
    net_pair p = {.client_ready = reset_client_ready,
                  .conn_ready = reset_conn_ready,
                  .user = &c,
                  .client_events = "close",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 10000);
    cr_assert(strstr(p.slog.text, "conn:error(ECONNRESET") || strstr(p.slog.text, "conn:end"),
              "the connection saw the reset: %s", p.slog.text);
    cr_assert_eq(c.rc[2], 0, "eddy_socket_address in 'close' after a reset");
    cr_assert_eq(c.rc[3], 0, "eddy_socket_remote_address in 'close' after a reset");
    cr_assert_str_eq(c.sl.family, "IPv4");
    cr_assert_str_eq(c.sl.address, "127.0.0.1");
    cr_assert_eq(c.sl.port, p.port);
    cr_assert_str_eq(c.sr.address, "127.0.0.1");
    cr_assert_gt(c.sr.port, 0);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- ref / unref ------------------------------------------------------------------ */

struct unref {
    bool client_connected;
    eddy_socket *conn;
    int closes;
};

static void unref_client_connects(const eddy_event *ev, void *ctx)
{
    struct unref *u = ctx;
    u->client_connected = true;
    eddy_socket_unref(ev->target);
}

static void unref_client_ready(net_pair *p)
{
    eddy_on(eddy_emitter_of(p->client), "connect", unref_client_connects, p->user);
    eddy_on(eddy_emitter_of(p->client), "close", count_listener,
            &((struct unref *)p->user)->closes);
}

static void unref_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct unref *u = p->user;
    u->conn = conn;
    eddy_socket_unref(conn);
    eddy_server_unref(p->server);
    eddy_on(eddy_emitter_of(conn), "close", count_listener, &u->closes);
}

Test(socket, unreferenced_connected_sockets_and_server_do_not_keep_the_loop_alive)
{
    struct unref u = {0};
    net_pair p = {.client_ready = unref_client_ready,
                  .conn_ready = unref_conn_ready,
                  .user = &u,
                  .keep_server = true};
    net_pair_start(&p, NULL);
    cr_assert(loop_ends_by_itself(p.loop, 10000), "the loop did not end with only unref'd objects");
    cr_assert(u.client_connected);
    cr_assert_not_null(u.conn);
    cr_assert_eq(u.closes, 0);
    /* referenced again, they keep it alive until they close */
    eddy_socket_ref(p.client);
    eddy_socket_ref(u.conn);
    eddy_server_ref(p.server);
    eddy_socket_destroy(p.client);
    eddy_socket_destroy(u.conn);
    cr_assert_eq(eddy_server_close(p.server, NULL, NULL), 0);
    assert_pair_ends(&p, 10000);
    cr_assert_eq(u.closes, 2);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- pipe ------------------------------------------------------------------------ */

/* node: net.createServer(c => c.pipe(c)) echoes; the client writes 256 KiB then ends and
 * reads the same bytes back, then 'end' and 'close'. */
enum { ECHO_BYTES = 256 * 1024 };

struct echo {
    uint64_t sent_hash, got_hash;
    size_t got;
    unsigned char *buf;
};

static void echo_conn_ready(net_pair *p, eddy_socket *conn)
{
    (void)p;
    cr_assert_eq(eddy_socket_pipe(conn, conn, true), 0);
}

static void echo_client_data(const eddy_event *ev, void *ctx)
{
    struct echo *e = ctx;
    e->got_hash = fnv1a(e->got_hash, ev->u.data.bytes, ev->u.data.len);
    e->got += ev->u.data.len;
}

static void echo_client_ready(net_pair *p)
{
    struct echo *e = p->user;
    uint64_t seed = 7;
    prng_fill(&seed, e->buf, ECHO_BYTES);
    e->sent_hash = fnv1a(FNV1A_INIT, e->buf, ECHO_BYTES);
    eddy_on(eddy_emitter_of(p->client), "data", echo_client_data, e);
    for (size_t off = 0; off < ECHO_BYTES; off += 4096)
        eddy_socket_write(p->client, e->buf + off, 4096, NULL, NULL);
    eddy_socket_end(p->client, NULL, 0);
}

Test(socket, pipe_to_itself_echoes_every_byte_and_ends_the_destination)
{
    struct echo e = {.got_hash = FNV1A_INIT, .buf = malloc(ECHO_BYTES)};
    net_pair p = {.client_ready = echo_client_ready,
                  .conn_ready = echo_conn_ready,
                  .user = &e,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 30000);
    cr_assert_eq(e.got, (size_t)ECHO_BYTES);
    cr_assert_eq(e.got_hash, e.sent_hash);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end "
                                  "conn:close(false) server:close");
    free(e.buf);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- closing_fd and direct_write_iteration: one word (net_internal.h) ----
 * A live socket keeps the iteration of its last direct write there (0 when new), a
 * destroyed one the fd it closes after its 'close'. */

static void count_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (*(int *)ctx)++;
}

/* Never connected, the socket has no fd to close after its 'close': the 0 of "no direct
 * write yet" must not become fd 0. */
Test(socket, a_socket_that_never_had_an_fd_closes_none_after_its_close)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(dup2(p[0], 0), 0); /* fd 0, known to be open */
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_socket_new(loop, NULL);
    int closes = 0;
    eddy_on(eddy_emitter_of(s), "close", count_close, &closes);
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(closes, 1);
    cr_assert_neq(fcntl(0, F_GETFD), -1, "fd 0 was closed");
    cr_assert_eq(eddy_loop_free(loop), 0);
    close(p[0]);
    close(p[1]);
}

/* Not connected yet, a UNIX socket has no addresses, whatever fd 0 is: closing_fd is
 * read only once the socket is destroyed (before, its word is the 0 of "no direct write
 * yet"). */
Test(socket, a_unix_socket_not_connected_yet_has_no_address_even_with_a_socket_on_fd_0)
{
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    cr_assert_eq(dup2(p[0], 0), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = -1, .type = "unix"};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    eddy_address a;
    cr_assert_eq(eddy_socket_address(s, &a), -ENOTCONN);
    cr_assert_eq(eddy_socket_remote_address(s, &a), -ENOTCONN);
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_neq(fcntl(0, F_GETFD), -1, "fd 0 was closed");
    cr_assert_eq(eddy_loop_free(loop), 0);
    close(p[0]);
    close(p[1]);
}

struct revived {
    eddy_loop *loop;
    eddy_server *server;
    int port, connects, closes, old_fd;
    bool late_write;     /* what a write from the first 'close' returned */
    size_t queued_after; /* eddy_socket_buffer_size after the reconnected socket's write */
    bool write_returned;
};

static void rv_connect(const eddy_event *ev, void *ctx)
{
    struct revived *r = ctx;
    eddy_socket *s = ev->target;
    if (++r->connects == 1) {
        r->old_fd = eddy_socket_fd(s);
        eddy_socket_destroy(s);
        return;
    }
    /* The iteration whose low bits are the closed fd's number: the word would still say
     * that a direct write was made in it, had the revive not set it back. */
    r->loop->iteration = (uint32_t)r->old_fd;
    r->write_returned = eddy_socket_write(s, "x", 1, NULL, NULL);
    r->queued_after = eddy_socket_buffer_size(s);
    eddy_socket_destroy(s);
}

static void rv_close(const eddy_event *ev, void *ctx)
{
    struct revived *r = ctx;
    eddy_socket *s = ev->target;
    if (++r->closes == 2) {
        eddy_server_close(r->server, NULL, NULL);
        return;
    }
    r->late_write = eddy_socket_write(s, "late", 4, NULL, NULL); /* destroyed: refused */
    cr_assert_eq(eddy_socket_connect(s, r->port, "127.0.0.1", NULL, NULL), 0);
}

/* Reconnected from its own 'close', the socket's first write goes straight to the kernel
 * as on a new socket (nothing is left queued), and a write from that 'close' changes
 * nothing: every descriptor is closed at the end. */
Test(socket, a_socket_reconnected_from_its_close_writes_at_once_and_closes_both_fds)
{
    int fds_before = open_fd_count();
    struct revived r = {.loop = eddy_loop_new(), .late_write = true, .old_fd = -1};
    r.server = eddy_create_server(r.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(r.server, 0, "127.0.0.1", NULL, NULL), 0);
    r.port = server_port(r.server);
    eddy_socket *s = eddy_create_connection(r.loop, r.port, "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(s), "connect", rv_connect, &r);
    eddy_on(eddy_emitter_of(s), "close", rv_close, &r);
    cr_assert(loop_ends_by_itself(r.loop, 10000));
    cr_assert_eq(r.connects, 2);
    cr_assert_eq(r.closes, 2);
    cr_assert_not(r.late_write);
    cr_assert_geq(r.old_fd, 0);
    cr_assert(r.write_returned);
    cr_assert_eq(r.queued_after, 0, "the write was held instead of sent");
    assert_all_released(r.loop, fds_before);
}
