/* Node test: test-net-binary.js
 * Asserts: a latin1 ('binary') echo server returns every byte value: the client sends the
 * 256 characters U+00FF..U+0000 as one 'binary' string, then, as echoes arrive, the
 * characters U+0000..U+00FF one by one; everything it receives in latin1 is 512
 * characters whose first 256 reversed equal the last 256.
 * eddy: both sides use eddy_socket_set_encoding(EDDY_ENC_LATIN1), so 'data' text is each
 * byte as a character, in UTF-8, NUL-terminated -- with U+0000 inside it as a 0 byte
 * (the event's len counts it). eddy_socket_write_string takes NUL-terminated text, so it
 * cannot send U+0000 (what C cannot express): the NULs are sent as raw 0 bytes with
 * eddy_socket_write (latin1 of U+0000 is the byte 0) and the rest with
 * eddy_socket_write_string(..., EDDY_ENC_LATIN1), on both sides. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int j;
    unsigned recv[600];
    size_t nrecv;
    int closes;
};

/* One character (code point < 256) as latin1: a string write, or a raw 0 byte for U+0000. */
static void write_latin1_char(eddy_socket *s, unsigned cp)
{
    if (cp == 0) {
        eddy_socket_write(s, "", 1, NULL, NULL);
        return;
    }
    char u[3] = {0};
    if (cp < 0x80) {
        u[0] = (char)cp;
    } else {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
    }
    eddy_socket_write_string(s, u, EDDY_ENC_LATIN1, NULL, NULL);
}

/* Writes latin1 text of len bytes that may hold NULs. */
static void write_latin1_text(eddy_socket *s, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = strnlen(text + i, len - i);
        if (n > 0) {
            char *piece = strndup(text + i, n);
            cr_assert_not_null(piece);
            eddy_socket_write_string(s, piece, EDDY_ENC_LATIN1, NULL, NULL);
            free(piece);
        }
        i += n;
        if (i < len) { /* a NUL */
            eddy_socket_write(s, "", 1, NULL, NULL);
            i++;
        }
    }
}

static void echo_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    write_latin1_text(ev->target, ev->u.data.bytes, ev->u.data.len);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_set_encoding(ev->u.socket, EDDY_ENC_LATIN1);
    eddy_on(eddy_emitter_of(ev->u.socket), "data", echo_data, NULL);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", end_target_listener, NULL);
}

static void client_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    const unsigned char *b = ev->u.data.bytes;
    size_t len = ev->u.data.len, chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned cp = b[i];
        if (cp >= 0xC0 && i + 1 < len) {
            cp = ((cp & 0x1F) << 6) | (b[i + 1] & 0x3F);
            i++;
        }
        if (x->nrecv < sizeof x->recv / sizeof x->recv[0])
            x->recv[x->nrecv++] = cp;
        chars++;
    }
    size_t n = (size_t)x->j + chars;
    while ((size_t)x->j < n && x->j < 256)
        write_latin1_char(ev->target, (unsigned)x->j++);
    if (x->j == 256) {
        eddy_socket_end(ev->target, NULL, 0);
        x->j++;
    }
}

static void client_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    /* the 'binary' string U+00FF..U+0000: U+00FF..U+0001 as text, then U+0000 */
    char s[2 * 255 + 1];
    size_t o = 0;
    for (int i = 255; i >= 1; i--) {
        if (i < 0x80) {
            s[o++] = (char)i;
        } else {
            s[o++] = (char)(0xC0 | (i >> 6));
            s[o++] = (char)(0x80 | (i & 0x3F));
        }
    }
    s[o] = '\0';
    int enc = eddy_encoding_from_name("binary");
    cr_assert_eq(enc, EDDY_ENC_LATIN1);
    eddy_socket_write_string(ev->target, s, (eddy_encoding)enc, NULL, NULL);
    write_latin1_char(ev->target, 0);
}

static void client_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->closes++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), NULL, client_connect, x);
    cr_assert_not_null(c);
    eddy_socket_set_encoding(c, EDDY_ENC_LATIN1);
    eddy_on(eddy_emitter_of(c), "data", client_data, x);
    eddy_on(eddy_emitter_of(c), "close", client_close, x);
}

Test(net_binary, latin1_echo_of_every_byte_value)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, NULL, on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.closes, 1);
    cr_assert_eq(x.nrecv, 512);
    for (int i = 0; i < 256; i++) {
        cr_assert_eq(x.recv[255 - i], x.recv[256 + i], "at %d: %u vs %u", i, x.recv[255 - i],
                     x.recv[256 + i]);
        cr_assert_eq(x.recv[256 + i], (unsigned)i);
    }
    node_finish(&env);
}
