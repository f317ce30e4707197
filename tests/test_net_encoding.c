/* Sockets with an encoding: 'data' delivers text as Node's setEncoding does, and
 * write_string converts as Buffer.from(str, enc) does. The sender sends its second chunk
 * only after the receiver saw the first, so the chunks are two reads for sure. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eddy.h"
#include "helpers.h"

struct chunked {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *client;
    eddy_encoding enc;
    const unsigned char *chunks[4];
    size_t lens[4];
    int nchunks, sent;
    char events[8][64];
    int nevents;
    bool ended;
    bool data_after_end;
    bool paced_by_timer; /* a chunk that gives no event: the next goes after 50 ms */
};

static void send_next(struct chunked *c)
{
    if (c->sent < c->nchunks) {
        eddy_socket_write(c->client, c->chunks[c->sent], c->lens[c->sent], NULL, NULL);
        c->sent++;
    }
    if (c->sent == c->nchunks)
        eddy_socket_end(c->client, NULL, 0);
}

static void on_text(const eddy_event *ev, void *ctx)
{
    struct chunked *c = ctx;
    cr_assert_lt(c->nevents, 8);
    cr_assert_gt(ev->u.data.len, 0, "no empty 'data' events");
    cr_assert_eq(strlen(ev->u.data.bytes), ev->u.data.len, "text is NUL-terminated");
    if (c->ended)
        c->data_after_end = true;
    snprintf(c->events[c->nevents++], sizeof c->events[0], "%s", (const char *)ev->u.data.bytes);
    if (!c->paced_by_timer)
        send_next(c);
}

static void on_server_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct chunked *)ctx)->ended = true;
}

static void on_server_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct chunked *)ctx)->server, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct chunked *c = ctx;
    eddy_socket *s = ev->u.socket;
    cr_assert_eq(eddy_socket_set_encoding(s, c->enc), 0);
    eddy_on(eddy_emitter_of(s), "data", on_text, c);
    eddy_on(eddy_emitter_of(s), "end", on_server_end, c);
    eddy_on(eddy_emitter_of(s), "close", on_server_close, c);
}

static void send_paced(void *arg)
{
    struct chunked *c = arg;
    send_next(c);
    if (c->sent < c->nchunks)
        eddy_set_timeout(c->loop, 50, send_paced, c);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct chunked *c = ctx;
    (void)ev;
    if (c->paced_by_timer)
        send_paced(c);
    else
        send_next(c);
}

/* Sends the chunks one read at a time to a server socket decoding with enc. */
static void run_chunks(struct chunked *c)
{
    c->loop = eddy_loop_new();
    c->server = eddy_create_server(c->loop, NULL, on_connection, c);
    cr_assert_eq(eddy_server_listen(c->server, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_loop_run(c->loop, EDDY_RUN_NOWAIT);
    eddy_address a;
    cr_assert_eq(eddy_server_address(c->server, &a), 0);
    c->client = eddy_create_connection(c->loop, a.port, "127.0.0.1", on_connect, c);
    cr_assert_not_null(c->client);
    cr_assert(run_loop_for(c->loop, 10000));
    cr_assert_eq(eddy_loop_free(c->loop), 0);
    cr_assert(c->ended);
}

Test(socket_encoding, utf8_character_split_across_reads_is_delivered_whole_in_the_later_event)
{
    /* "a€b" is 61 E2 82 AC 62, cut inside the euro sign */
    static const unsigned char one[] = {0x61, 0xE2, 0x82}, two[] = {0xAC, 0x62};
    struct chunked c = {.enc = EDDY_ENC_UTF8, .chunks = {one, two}, .lens = {3, 2}, .nchunks = 2};
    run_chunks(&c);
    cr_assert_eq(c.nevents, 2);
    cr_assert_str_eq(c.events[0], "a");
    cr_assert_str_eq(c.events[1], "\xE2\x82\xAC" "b");
}

Test(socket_encoding, utf8_character_alone_in_a_read_gives_no_empty_event)
{
    static const unsigned char one[] = {0xF0, 0x9F}, two[] = {0x98, 0x80, 0x21};
    struct chunked c = {.enc = EDDY_ENC_UTF8, .chunks = {one, two}, .lens = {2, 3}, .nchunks = 2};
    /* the first chunk produces no event, so the receiver cannot ask for the second */
    c.paced_by_timer = true;
    run_chunks(&c);
    cr_assert_eq(c.nevents, 1);
    cr_assert_str_eq(c.events[0], "\xF0\x9F\x98\x80!");
}

Test(socket_encoding, incomplete_utf8_at_end_of_stream_is_flushed_as_replacement_before_end)
{
    static const unsigned char one[] = {0x6F, 0x6B, 0xE2, 0x82};
    struct chunked c = {.enc = EDDY_ENC_UTF8, .chunks = {one}, .lens = {4}, .nchunks = 1};
    run_chunks(&c);
    cr_assert_eq(c.nevents, 2);
    cr_assert_str_eq(c.events[0], "ok");
    cr_assert_str_eq(c.events[1], "\xEF\xBF\xBD", "U+FFFD, as Node's StringDecoder.end()");
    cr_assert_not(c.data_after_end, "the flush comes before 'end'");
}

Test(socket_encoding, base64_holds_leftover_bytes_and_pads_them_before_end)
{
    static const unsigned char one[] = {1, 2, 3, 4}, two[] = {5};
    struct chunked c = {.enc = EDDY_ENC_BASE64, .chunks = {one, two}, .lens = {4, 1}, .nchunks = 2};
    run_chunks(&c);
    cr_assert_eq(c.nevents, 2);
    cr_assert_str_eq(c.events[0], "AQID");
    cr_assert_str_eq(c.events[1], "BAU=");
    cr_assert_not(c.data_after_end);
}

Test(socket_encoding, hex_latin1_and_ascii_as_node_decodes_them)
{
    static const unsigned char bytes[] = {0xE9, 0x41};
    struct chunked hex = {.enc = EDDY_ENC_HEX, .chunks = {bytes}, .lens = {2}, .nchunks = 1};
    run_chunks(&hex);
    cr_assert_str_eq(hex.events[0], "e941");
    struct chunked latin1 = {.enc = EDDY_ENC_LATIN1, .chunks = {bytes}, .lens = {2}, .nchunks = 1};
    run_chunks(&latin1);
    cr_assert_str_eq(latin1.events[0], "\xC3\xA9" "A");
    struct chunked ascii = {.enc = EDDY_ENC_ASCII, .chunks = {bytes}, .lens = {2}, .nchunks = 1};
    run_chunks(&ascii);
    cr_assert_str_eq(ascii.events[0], "iA", "ascii clears the high bit");
}

Test(socket_encoding, set_encoding_rejects_an_unknown_encoding)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_socket_new(loop, NULL);
    cr_assert_eq(eddy_socket_set_encoding(s, (eddy_encoding)99), -EINVAL);
    cr_assert_eq(eddy_socket_set_encoding(NULL, EDDY_ENC_UTF8), -EINVAL);
    eddy_socket_destroy(s);
    cr_assert(run_loop_for(loop, 5000));
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- write_string ---- */

struct received {
    eddy_loop *loop;
    eddy_server *server;
    unsigned char bytes[64];
    size_t len;
};

static void collect(const eddy_event *ev, void *ctx)
{
    struct received *r = ctx;
    cr_assert_leq(r->len + ev->u.data.len, sizeof r->bytes);
    memcpy(r->bytes + r->len, ev->u.data.bytes, ev->u.data.len);
    r->len += ev->u.data.len;
}

static void close_server(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct received *)ctx)->server, NULL, NULL);
}

static void accept_collect(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", collect, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server, ctx);
}

struct writer {
    const char *str;
    eddy_encoding enc;
    uint64_t bytes_written;
};

static void write_and_end(const eddy_event *ev, void *ctx)
{
    struct writer *w = ctx;
    eddy_socket *s = ev->target;
    eddy_socket_write_string(s, w->str, w->enc, NULL, NULL);
    eddy_socket_end(s, NULL, 0);
}

static void note_written(const eddy_event *ev, void *ctx)
{
    ((struct writer *)ctx)->bytes_written = eddy_socket_bytes_written(ev->target);
}

static size_t send_string(const char *str, eddy_encoding enc, unsigned char *out,
                          uint64_t *bytes_written)
{
    struct received r = {0};
    struct writer w = {str, enc, 0};
    r.loop = eddy_loop_new();
    r.server = eddy_create_server(r.loop, NULL, accept_collect, &r);
    eddy_server_listen(r.server, 0, "127.0.0.1", NULL, NULL);
    eddy_loop_run(r.loop, EDDY_RUN_NOWAIT);
    eddy_address a;
    eddy_server_address(r.server, &a);
    eddy_socket *c = eddy_create_connection(r.loop, a.port, "127.0.0.1", write_and_end, &w);
    eddy_on(eddy_emitter_of(c), "close", note_written, &w);
    cr_assert(run_loop_for(r.loop, 10000));
    cr_assert_eq(eddy_loop_free(r.loop), 0);
    memcpy(out, r.bytes, r.len);
    *bytes_written = w.bytes_written;
    return r.len;
}

Test(socket_encoding, write_string_base64_sends_the_decoded_bytes_and_counts_bytes)
{
    unsigned char out[64];
    uint64_t written;
    size_t n = send_string("AQID BA==", EDDY_ENC_BASE64, out, &written);
    static const unsigned char want[] = {1, 2, 3, 4};
    cr_assert_eq(n, 4);
    cr_assert_arr_eq(out, want, 4);
    cr_assert_eq(written, 4, "bytes_written counts bytes, not characters");
}

Test(socket_encoding, write_string_hex_stops_at_the_first_bad_pair)
{
    unsigned char out[64];
    uint64_t written;
    size_t n = send_string("0aFFzz11", EDDY_ENC_HEX, out, &written);
    cr_assert_eq(n, 2);
    cr_assert_eq(out[0], 0x0a);
    cr_assert_eq(out[1], 0xff);
}

Test(socket_encoding, write_string_latin1_sends_one_byte_per_character)
{
    unsigned char out[64];
    uint64_t written;
    size_t n = send_string("caf\xC3\xA9", EDDY_ENC_LATIN1, out, &written);
    cr_assert_eq(n, 4);
    cr_assert_eq(out[3], 0xE9);
    cr_assert_eq(written, 4);
}

Test(socket_encoding, write_string_utf8_sends_the_bytes_as_they_are)
{
    unsigned char out[64];
    uint64_t written;
    size_t n = send_string("caf\xC3\xA9", EDDY_ENC_UTF8, out, &written);
    cr_assert_eq(n, 5);
    cr_assert_arr_eq(out, "caf\xC3\xA9", 5);
    cr_assert_eq(written, 5);
}
