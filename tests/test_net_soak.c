/* Soak: thousands of connections through the seed's echo server (pipe to itself), with
 * clients that half-close, pause their reading (backpressure on the server), or reset
 * the connection half-way. Every byte of every client that did not reset must come back
 * in order (FNV-1a of what was sent and of what came back), and at the end every
 * descriptor is closed and every object released.
 *
 * Size: EDDY_SOAK_CONNECTIONS (default 2000; 300 under valgrind, EDDY_VALGRIND=1). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

enum { CONCURRENT = 200, MAX_PAYLOAD = 192 * 1024, PIECE_MAX = 16 * 1024 };

enum kind { HALF_CLOSE, PAUSED_READER, RESET, KINDS };

struct soak;

struct client {
    struct soak *soak;
    eddy_socket *sock;
    enum kind kind;
    size_t to_send, sent, received;
    uint64_t sent_hash, received_hash;
    uint64_t rng;
    bool paused_once;
    eddy_timer *resume;
};

struct soak {
    eddy_loop *loop;
    eddy_server *server;
    int port;
    int total, started, finished;
    int completed[KINDS];
    uint64_t bytes_echoed;
    int lost; /* clients whose echo differed from what they sent */
    int errors_unexpected;
    uint64_t rng;
    unsigned char payload[MAX_PAYLOAD];
};

static void start_clients(struct soak *k);

static uint64_t rng_next(uint64_t *state)
{
    uint64_t v;
    prng_fill(state, &v, sizeof v);
    return v;
}

static void ignore_error(const eddy_event *ev, void *ctx);

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *conn = ev->u.socket;
    eddy_on(eddy_emitter_of(conn), "error", ignore_error, NULL);
    eddy_socket_pipe(conn, conn, true); /* the seed's echo */
}

static void ignore_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* resets: the server side of a reset connection may see ECONNRESET/EPIPE */
}

static void client_resume(void *arg)
{
    struct client *c = arg;
    c->resume = NULL;
    eddy_socket_resume(c->sock);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    c->received_hash = fnv1a(c->received_hash, ev->u.data.bytes, ev->u.data.len);
    c->received += ev->u.data.len;
    if (c->kind == PAUSED_READER && !c->paused_once) {
        c->paused_once = true;
        eddy_socket_pause(c->sock);
        c->resume = eddy_set_timeout(c->soak->loop, 1 + rng_next(&c->rng) % 30, client_resume, c);
        cr_assert_not_null(c->resume);
    }
    if (c->kind == RESET && c->received >= c->to_send / 3)
        eddy_socket_destroy(c->sock);
}

static void client_error(const eddy_event *ev, void *ctx)
{
    struct client *c = ctx;
    if (c->kind != RESET) {
        cr_log_error("client error %s %s", eddy_err_name(ev->u.error.code), ev->u.error.syscall);
        c->soak->errors_unexpected++;
    }
}

static void client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct client *c = ctx;
    struct soak *k = c->soak;
    if (c->resume)
        eddy_clear_timer(c->resume);
    if (c->kind != RESET) {
        if (c->received != c->to_send || c->received_hash != c->sent_hash)
            k->lost++;
        k->bytes_echoed += c->received;
    }
    k->completed[c->kind]++;
    k->finished++;
    free(c);
    if (k->finished == k->total)
        eddy_server_close(k->server, NULL, NULL);
    else
        start_clients(k);
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct client *c = ctx;
    struct soak *k = c->soak;
    while (c->sent < c->to_send) {
        size_t n = 1 + rng_next(&c->rng) % PIECE_MAX;
        if (n > c->to_send - c->sent)
            n = c->to_send - c->sent;
        const unsigned char *p = k->payload + (c->sent % 4096);
        c->sent_hash = fnv1a(c->sent_hash, p, n);
        eddy_socket_write(c->sock, p, n, NULL, NULL);
        c->sent += n;
    }
    eddy_socket_end(c->sock, NULL, 0); /* half-close: the echo still comes back */
}

static void start_clients(struct soak *k)
{
    while (k->started < k->total && k->started - k->finished < CONCURRENT) {
        struct client *c = calloc(1, sizeof *c);
        c->soak = k;
        c->rng = k->rng ^ (uint64_t)(k->started + 1) * 0x9E3779B97F4A7C15ULL;
        c->kind = (enum kind)(rng_next(&c->rng) % KINDS);
        c->to_send = 1 + rng_next(&c->rng) % (MAX_PAYLOAD - 4096);
        c->sent_hash = c->received_hash = FNV1A_INIT;
        eddy_socket_options o = {.fd = -1, .allow_half_open = true};
        c->sock = eddy_socket_new(k->loop, &o);
        cr_assert_not_null(c->sock);
        eddy_emitter *e = eddy_emitter_of(c->sock);
        eddy_on(e, "data", client_data, c);
        eddy_on(e, "error", client_error, c);
        eddy_on(e, "close", client_close, c);
        cr_assert_eq(eddy_socket_connect(c->sock, k->port, "127.0.0.1", client_connect, c), 0);
        k->started++;
    }
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct soak *k = ctx;
    k->port = server_port(k->server);
    start_clients(k);
}

Test(soak, thousands_of_echoed_connections_lose_no_byte_and_leak_no_descriptor, .timeout = 600)
{
    cr_assert(raise_nofile_to(4 * CONCURRENT + 64));
    int fds_before = open_fd_count();
    struct soak *k = calloc(1, sizeof *k);
    const char *n = getenv("EDDY_SOAK_CONNECTIONS");
    const char *vg = getenv("EDDY_VALGRIND");
    k->total = n ? atoi(n) : (vg && strcmp(vg, "1") == 0 ? 300 : 2000);
    cr_assert_gt(k->total, 0);
    k->rng = 0x5eed5eedULL;
    prng_fill(&k->rng, k->payload, sizeof k->payload);
    k->loop = eddy_loop_new();
    k->server = eddy_create_server(k->loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(k->server), "error", ignore_error, NULL);
    cr_assert_eq(eddy_server_listen(k->server, 0, "127.0.0.1", on_listening, k), 0);
    cr_assert(loop_ends_by_itself(k->loop, 300000), "finished %d of %d", k->finished, k->total);
    cr_log_info("soak: %d connections (%d half-close, %d paused reader, %d reset), %llu bytes "
                "echoed, %d lost",
                k->total, k->completed[HALF_CLOSE], k->completed[PAUSED_READER],
                k->completed[RESET], (unsigned long long)k->bytes_echoed, k->lost);
    fprintf(stderr,
            "soak: %d connections (%d half-close, %d paused reader, %d reset), %llu bytes "
            "echoed, %d lost\n",
            k->total, k->completed[HALF_CLOSE], k->completed[PAUSED_READER], k->completed[RESET],
            (unsigned long long)k->bytes_echoed, k->lost);
    cr_assert_eq(k->finished, k->total);
    cr_assert_eq(k->lost, 0);
    cr_assert_eq(k->errors_unexpected, 0);
    for (int i = 0; i < KINDS; i++)
        cr_assert_gt(k->completed[i], 0, "every kind of client ran");
    eddy_loop *loop = k->loop;
    free(k);
    assert_all_released(loop, fds_before);
}
