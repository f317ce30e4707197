/* Node test: test-net-large-string.js
 * Asserts: a 40960-character string of U+3042 written with encoding 'UTF-8' arrives whole
 * at a server socket with setEncoding('UTF-8'): the lengths of the 'data' strings add up
 * to 40960 characters by 'end'.
 * eddy: eddy_socket_write_string(..., EDDY_ENC_UTF8) of the same text (122880 bytes);
 * eddy_encoding_from_name("UTF-8") for the server side; the characters of each 'data'
 * text are counted (UTF-8 lead bytes) and no character may be split across events. */
#include "node_helpers.h"

#define CHARS (40 * 1024)

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    size_t chars;
    int ends, split, bad;
};

static void conn_data(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    const unsigned char *b = ev->u.data.bytes;
    size_t n = ev->u.data.len;
    if (n % 3 != 0)
        x->split++;
    for (size_t i = 0; i < n; i++) {
        if ((b[i] & 0xC0) != 0x80)
            x->chars++;
    }
    for (size_t i = 0; i + 2 < n; i += 3)
        if (b[i] != 0xE3 || b[i + 1] != 0x81 || b[i + 2] != 0x82)
            x->bad++;
}

static void conn_end(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->ends++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    int enc = eddy_encoding_from_name("UTF-8");
    cr_assert_eq(enc, EDDY_ENC_UTF8);
    eddy_socket_set_encoding(ev->u.socket, (eddy_encoding)enc);
    eddy_on(eddy_emitter_of(ev->u.socket), "data", conn_data, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "end", conn_end, ctx);
}

static void client_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct ctx *)ctx)->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_socket *c = eddy_create_connection(x->loop, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "end", client_end, x);
    char *s = malloc(CHARS * 3 + 1);
    cr_assert_not_null(s);
    for (size_t i = 0; i < CHARS; i++)
        memcpy(s + 3 * i, "\xe3\x81\x82", 3);
    s[CHARS * 3] = '\0';
    eddy_socket_write_string(c, s, EDDY_ENC_UTF8, NULL, NULL);
    free(s);
    eddy_socket_end(c, NULL, 0);
}

Test(net_large_string, large_utf8_string_arrives_whole)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 10000);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.chars, CHARS);
    cr_assert_eq(x.split, 0, "a character was split across 'data' events");
    cr_assert_eq(x.bad, 0);
    node_finish(&env);
}
