/* The heavier net tests: megabytes through backpressure, a slow reader, a proxy chain of
 * pipes, a thousand connections at once. Sizes stay modest (a few MB each) so that they
 * also pass under valgrind, which is ten or more times slower; every byte is checked
 * (FNV-1a over a pseudo-random stream, or compared with what was sent). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

/* A writer that honours backpressure: it writes chunks of a pseudo-random stream while
 * write() returns true, and continues on 'drain'; after `total` bytes it ends. */
enum { CHUNK = 64 * 1024 };

struct stream_writer {
    eddy_socket *sock;
    uint64_t prng;
    uint64_t hash;
    size_t total, sent;
    int falses, drains;
    bool wrote_while_over; /* wrote although the last write had returned false */
    bool over;
    unsigned char chunk[CHUNK];
};

static void writer_pump(struct stream_writer *w)
{
    while (w->sent < w->total) {
        if (w->over)
            w->wrote_while_over = true;
        size_t n = w->total - w->sent < CHUNK ? w->total - w->sent : CHUNK;
        prng_fill(&w->prng, w->chunk, n);
        w->hash = fnv1a(w->hash, w->chunk, n);
        w->sent += n;
        if (!eddy_socket_write(w->sock, w->chunk, n, NULL, NULL)) {
            w->falses++;
            w->over = true;
            return; /* wait for 'drain' */
        }
    }
    eddy_socket_end(w->sock, NULL, 0);
}

static void writer_on_drain(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct stream_writer *w = ctx;
    w->drains++;
    w->over = false;
    writer_pump(w);
}

static void writer_on_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    writer_pump(ctx);
}

static void writer_attach(struct stream_writer *w, eddy_socket *s, size_t total, uint64_t seed)
{
    w->sock = s;
    w->prng = seed;
    w->hash = FNV1A_INIT;
    w->total = total;
    eddy_on(eddy_emitter_of(s), "drain", writer_on_drain, w);
}

struct stream_reader {
    uint64_t hash;
    size_t got;
    size_t got_at_end;
    int ends;
};

static void reader_on_data(const eddy_event *ev, void *ctx)
{
    struct stream_reader *r = ctx;
    r->hash = fnv1a(r->hash, ev->u.data.bytes, ev->u.data.len);
    r->got += ev->u.data.len;
}

static void reader_on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct stream_reader *r = ctx;
    r->ends++;
    r->got_at_end = r->got;
}

static void reader_attach(struct stream_reader *r, eddy_socket *s)
{
    r->hash = FNV1A_INIT;
    eddy_on(eddy_emitter_of(s), "data", reader_on_data, r);
    eddy_on(eddy_emitter_of(s), "end", reader_on_end, r);
}

/* ---- write until false, then every byte arrives ---------------------------------- */

enum { BULK = 8 << 20 };

struct bulk {
    struct stream_writer w;
    struct stream_reader r;
};

static void bulk_client_ready(net_pair *p)
{
    struct bulk *b = p->user;
    writer_attach(&b->w, p->client, BULK, 0x9e3779b97f4a7c15ull);
    eddy_on(eddy_emitter_of(p->client), "connect", writer_on_connect, &b->w);
}

static void bulk_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct bulk *b = p->user;
    reader_attach(&b->r, conn);
}

Test(stress, write_until_false_then_every_byte_arrives)
{
    struct bulk *b = calloc(1, sizeof *b);
    net_pair p = {.client_ready = bulk_client_ready,
                  .conn_ready = bulk_conn_ready,
                  .user = b,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 60000);
    cr_assert_eq(b->w.sent, (size_t)BULK);
    cr_assert_gt(b->w.falses, 0, "8 MiB never met backpressure");
    cr_assert_eq(b->w.drains, b->w.falses);
    cr_assert(!b->w.wrote_while_over);
    cr_assert_eq(b->r.got_at_end, (size_t)BULK);
    cr_assert_eq(b->r.hash, b->w.hash, "the bytes that arrived differ from those sent");
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    cr_assert_str_eq(p.slog.text, "server:listening server:connection conn:end "
                                  "conn:close(false) server:close");
    free(b);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- a slow reader --------------------------------------------------------------- */

/* The reader (the accepted connection) is paused and resumed every 5 ms by a timer; the
 * writer honours backpressure. Every byte arrives, in order. */
enum { SLOW_TOTAL = 4 << 20 };

struct slow {
    struct stream_writer w;
    struct stream_reader r;
    eddy_socket *conn;
    eddy_timer *toggler;
    bool paused;
    int toggles;
};

static void slow_toggle(void *arg)
{
    struct slow *s = arg;
    if (!s->conn)
        return;
    s->paused = !s->paused;
    s->toggles++;
    if (s->paused)
        eddy_socket_pause(s->conn);
    else
        eddy_socket_resume(s->conn);
}

static void slow_conn_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct slow *s = ctx;
    eddy_clear_timer(s->toggler);
    s->toggler = NULL;
    s->conn = NULL;
}

static void slow_conn_ready(net_pair *p, eddy_socket *conn)
{
    struct slow *s = p->user;
    s->conn = conn;
    reader_attach(&s->r, conn);
    eddy_on(eddy_emitter_of(conn), "close", slow_conn_close, s);
    s->toggler = eddy_set_interval(p->loop, 5, slow_toggle, s);
    cr_assert_not_null(s->toggler);
}

static void slow_client_ready(net_pair *p)
{
    struct slow *s = p->user;
    writer_attach(&s->w, p->client, SLOW_TOTAL, 12345);
    eddy_on(eddy_emitter_of(p->client), "connect", writer_on_connect, &s->w);
}

Test(stress, a_slow_reader_gets_every_byte_and_the_writer_waits_for_drain)
{
    struct slow *s = calloc(1, sizeof *s);
    net_pair p = {.client_ready = slow_client_ready,
                  .conn_ready = slow_conn_ready,
                  .user = s,
                  .client_events = "connect end close error",
                  .conn_events = "end close error"};
    net_pair_start(&p, NULL);
    assert_pair_ends(&p, 60000);
    cr_assert_gt(s->toggles, 1);
    cr_assert_gt(s->w.falses, 0);
    cr_assert_eq(s->w.drains, s->w.falses);
    cr_assert(!s->w.wrote_while_over);
    cr_assert_eq(s->r.got_at_end, (size_t)SLOW_TOTAL);
    cr_assert_eq(s->r.hash, s->w.hash);
    cr_assert_str_eq(p.clog.text, "client:connect client:end client:close(false)");
    free(s);
    assert_all_released(p.loop, p.fds_before);
}

/* ---- a proxy chain of pipes --------------------------------------------------------- */

/* client -> proxy -> echo -> proxy -> client. The echo server is c.pipe(c); the proxy
 * (allow_half_open, as a proxy must be: the client's FIN comes before the echoed bytes)
 * pipes each accepted connection to a new connection to the echo server and back. The
 * client reads slowly (paused/resumed on a timer), so backpressure travels back through
 * every pipe to the writer. Whenever a pipe's source emits 'data' its destination must be
 * below its high-water mark (else the pipe failed to pause the source). */
enum { CHAIN_TOTAL = 4 << 20, HWM = 16 * 1024 };

struct chain {
    eddy_loop *loop;
    eddy_server *echo, *proxy;
    int echo_port;
    eddy_socket *client;
    struct stream_writer w;
    struct stream_reader r;
    eddy_timer *toggler;
    bool paused;
    int data_while_dst_over; /* pipe sources that emitted data although dst was over */
    int dst_drains;          /* 'drain' of pipe destinations: a pipe write returned false */
    net_log clog;
    int closes;
};

struct pipe_watch {
    struct chain *c;
    eddy_socket *dst;
};

static void watch_src_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct pipe_watch *pw = ctx;
    if (eddy_socket_buffer_size(pw->dst) >= HWM)
        pw->c->data_while_dst_over++;
}

static void watch_dst_drain(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct chain *)ctx)->dst_drains++;
}

static void watch_free(const eddy_event *ev, void *ctx)
{
    (void)ev;
    free(ctx);
}

/* Pipes src to dst, first adding a listener that checks dst's queue on each of src's
 * 'data' events (added before the pipe's own listener, so it sees the queue as the pipe
 * left it after the previous chunk). */
static void watched_pipe(struct chain *c, eddy_socket *src, eddy_socket *dst)
{
    struct pipe_watch *pw = malloc(sizeof *pw);
    *pw = (struct pipe_watch){c, dst};
    eddy_on(eddy_emitter_of(src), "data", watch_src_data, pw);
    eddy_on(eddy_emitter_of(src), "close", watch_free, pw);
    eddy_on(eddy_emitter_of(dst), "drain", watch_dst_drain, c);
    cr_assert_eq(eddy_socket_pipe(src, dst, true), 0);
}

static void chain_echo_connection(const eddy_event *ev, void *ctx)
{
    watched_pipe(ctx, ev->u.socket, ev->u.socket);
}

static void chain_proxy_connection(const eddy_event *ev, void *ctx)
{
    struct chain *c = ctx;
    eddy_socket *down = ev->u.socket;
    eddy_socket *up = eddy_create_connection(c->loop, c->echo_port, "127.0.0.1", NULL, NULL);
    cr_assert_not_null(up);
    watched_pipe(c, down, up);
    watched_pipe(c, up, down);
}

static void chain_toggle(void *arg)
{
    struct chain *c = arg;
    c->paused = !c->paused;
    if (c->paused)
        eddy_socket_pause(c->client);
    else
        eddy_socket_resume(c->client);
}

static void chain_client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct chain *c = ctx;
    eddy_clear_timer(c->toggler);
    eddy_server_close(c->proxy, NULL, NULL);
    eddy_server_close(c->echo, NULL, NULL);
}

static void chain_proxy_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct chain *c = ctx;
    c->client = eddy_create_connection(c->loop, server_port(c->proxy), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c->client);
    net_record(&c->clog, c->client, "client", "connect end close error");
    writer_attach(&c->w, c->client, CHAIN_TOTAL, 777);
    reader_attach(&c->r, c->client);
    eddy_on(eddy_emitter_of(c->client), "connect", writer_on_connect, &c->w);
    eddy_on(eddy_emitter_of(c->client), "close", chain_client_close, c);
    c->toggler = eddy_set_interval(c->loop, 5, chain_toggle, c);
    cr_assert_not_null(c->toggler);
}

static void chain_echo_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct chain *c = ctx;
    c->echo_port = server_port(c->echo);
    cr_assert_eq(eddy_server_listen(c->proxy, 0, "127.0.0.1", chain_proxy_listening, c), 0);
}

Test(stress, a_proxy_chain_of_pipes_carries_every_byte_under_backpressure)
{
    int fds_before = open_fd_count();
    struct chain *c = calloc(1, sizeof *c);
    c->loop = eddy_loop_new();
    c->echo = eddy_create_server(c->loop, NULL, chain_echo_connection, c);
    /* half-open: when the client ends, the proxy must keep sending what comes back */
    eddy_server_options half_open = {.allow_half_open = true};
    c->proxy = eddy_create_server(c->loop, &half_open, chain_proxy_connection, c);
    cr_assert_eq(eddy_server_listen(c->echo, 0, "127.0.0.1", chain_echo_listening, c), 0);
    cr_assert(loop_ends_by_itself(c->loop, 60000), "the chain did not finish; client: %s",
              c->clog.text);
    cr_assert_eq(c->w.sent, (size_t)CHAIN_TOTAL);
    cr_assert_eq(c->r.got_at_end, (size_t)CHAIN_TOTAL,
                 "got %zu of %zu before end (%zu in all), client: %s", c->r.got_at_end,
                 (size_t)CHAIN_TOTAL, c->r.got, c->clog.text);
    cr_assert_eq(c->r.hash, c->w.hash, "the bytes that came back differ from those sent");
    cr_assert_gt(c->dst_drains, 0, "no pipe met backpressure: the scenario is void");
    cr_assert_eq(c->data_while_dst_over, 0,
                 "a pipe's source emitted 'data' %d times while its destination was at or "
                 "above its high-water mark",
                 c->data_while_dst_over);
    cr_assert_str_eq(c->clog.text, "client:connect client:end client:close(false)");
    eddy_loop *loop = c->loop;
    free(c);
    assert_all_released(loop, fds_before);
}

/* ---- a thousand connections at once ------------------------------------------------ */

/* 1,000 clients connect at once to an echo server (c.pipe(c)); each writes 64 KiB (its
 * index in the first 4 bytes, then a shared pseudo-random pattern) and ends; each must get
 * exactly its own bytes back, then 'end' and 'close'(false). */
enum { CLIENTS = 1000, PER_CLIENT = 64 * 1024 };

struct many;

struct one_client {
    struct many *m;
    uint32_t index;
    size_t got;
    bool mismatch;
    int ends;
    int closes;
    bool had_error;
};

struct many {
    eddy_loop *loop;
    eddy_server *server;
    unsigned char pattern[PER_CLIENT];
    struct one_client clients[CLIENTS];
    int closed;
    int errors;
};

static void one_expected(const struct one_client *c, size_t off, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t at = off + i;
        out[i] = at < 4 ? (unsigned char)(c->index >> (8 * at)) : c->m->pattern[at];
    }
}

static void one_data(const eddy_event *ev, void *ctx)
{
    struct one_client *c = ctx;
    const unsigned char *b = ev->u.data.bytes;
    size_t n = ev->u.data.len;
    if (c->got + n > PER_CLIENT) {
        c->mismatch = true;
        return;
    }
    size_t head = c->got < 4 ? (4 - c->got < n ? 4 - c->got : n) : 0;
    unsigned char want[4];
    one_expected(c, c->got, want, head);
    if (memcmp(b, want, head) != 0 || memcmp(b + head, c->m->pattern + c->got + head, n - head))
        c->mismatch = true;
    c->got += n;
}

static void one_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct one_client *)ctx)->ends++;
}

static void one_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct one_client *c = ctx;
    c->m->errors++;
}

static void one_close(const eddy_event *ev, void *ctx)
{
    struct one_client *c = ctx;
    c->closes++;
    c->had_error = ev->u.had_error;
    if (++c->m->closed == CLIENTS)
        eddy_server_close(c->m->server, NULL, NULL);
}

static void one_connect(const eddy_event *ev, void *ctx)
{
    struct one_client *c = ctx;
    unsigned char head[4];
    one_expected(c, 0, head, 4);
    eddy_socket_write(ev->target, head, 4, NULL, NULL);
    eddy_socket_end(ev->target, c->m->pattern + 4, PER_CLIENT - 4);
}

static void many_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(eddy_socket_pipe(ev->u.socket, ev->u.socket, true), 0);
}

static void many_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct many *m = ctx;
    int port = server_port(m->server);
    for (uint32_t i = 0; i < CLIENTS; i++) {
        struct one_client *c = &m->clients[i];
        c->m = m;
        c->index = i;
        eddy_socket *s = eddy_create_connection(m->loop, port, "127.0.0.1", one_connect, c);
        cr_assert_not_null(s, "client %u could not be created", i);
        eddy_on(eddy_emitter_of(s), "data", one_data, c);
        eddy_on(eddy_emitter_of(s), "end", one_end, c);
        eddy_on(eddy_emitter_of(s), "error", one_error, c);
        eddy_on(eddy_emitter_of(s), "close", one_close, c);
    }
}

Test(stress, a_thousand_concurrent_connections_each_echo_64_kib)
{
    if (!raise_nofile_to(2 * CLIENTS + 100))
        cr_skip_test("cannot get %d descriptors", 2 * CLIENTS + 100);
    int fds_before = open_fd_count();
    struct many *m = calloc(1, sizeof *m);
    uint64_t seed = 99;
    prng_fill(&seed, m->pattern, PER_CLIENT);
    m->loop = eddy_loop_new();
    eddy_server_options opts = {.backlog = 2 * CLIENTS};
    m->server = eddy_create_server(m->loop, &opts, many_connection, m);
    cr_assert_eq(eddy_server_listen(m->server, 0, "127.0.0.1", many_listening, m), 0);
    cr_assert(loop_ends_by_itself(m->loop, 60000), "%d of %d clients closed", m->closed, CLIENTS);
    cr_assert_eq(m->errors, 0);
    for (int i = 0; i < CLIENTS; i++) {
        const struct one_client *c = &m->clients[i];
        cr_assert(!c->mismatch, "client %d got bytes that were not its own", i);
        cr_assert_eq(c->got, (size_t)PER_CLIENT, "client %d got %zu bytes", i, c->got);
        cr_assert_eq(c->ends, 1);
        cr_assert_eq(c->closes, 1);
        cr_assert(!c->had_error);
    }
    eddy_loop *loop = m->loop;
    free(m);
    assert_all_released(loop, fds_before);
}
