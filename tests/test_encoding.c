/* The streaming decoders behave like Node's StringDecoder and eddy__encoding_to_bytes like
 * Buffer.from(str, enc). Expected texts were produced by node v20; each table says how.
 * The last tests compare eddy with a running node on generated input when node is on
 * PATH. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/net.h"
#include "net/encoding.h"
#include "node_runner.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A byte string that may hold NULs; built from a string literal. */
struct blob {
    const char *p;
    size_t n;
};
/* clang-format off */
#define BLOB(lit) {(lit), sizeof(lit) - 1}
/* clang-format on */

/* What a stream of reads delivered: the 'data' texts, concatenated, then end()'s. */
struct sink {
    char text[8192];
    size_t len;
    size_t events; /* writes that returned a non-empty text */
};

/* One read: the output buffer is exactly bound + 1 bytes, so that ASan and valgrind
 * catch any write beyond what eddy__decoder_bound promised. */
static size_t feed(eddy__decoder *d, struct sink *s, const void *in, size_t n)
{
    size_t bound = eddy__decoder_bound(d, n);
    char *out = malloc(bound + 1);
    cr_assert(out);
    memset(out, 'X', bound + 1);
    size_t got = eddy__decoder_write(d, in, n, out);
    cr_assert_leq(got, bound, "wrote %zu bytes, bound was %zu", got, bound);
    cr_assert_eq(out[got], '\0', "text is not NUL-terminated");
    cr_assert_leq(s->len + got, sizeof s->text);
    memcpy(s->text + s->len, out, got);
    s->len += got;
    s->events += got > 0;
    free(out);
    return got;
}

static size_t finish(eddy__decoder *d, struct sink *s)
{
    char out[16];
    memset(out, 'X', sizeof out);
    size_t got = eddy__decoder_end(d, out);
    cr_assert_lt(got, sizeof out);
    cr_assert_eq(out[got], '\0', "end text is not NUL-terminated");
    memcpy(s->text + s->len, out, got);
    s->len += got;
    return got;
}

static void expect_text(const struct sink *s, struct blob want, const char *what)
{
    cr_expect(s->len == want.n && memcmp(s->text, want.p, want.n) == 0,
              "%s: got %zu bytes \"%.*s\", want %zu bytes \"%.*s\"", what, s->len, (int)s->len,
              s->text, want.n, (int)want.n, want.p);
}

/* Decodes input read in the given pieces (cuts are offsets, ascending) then ends. */
static void decode_cut(eddy_encoding enc, struct blob in, const size_t *cuts, size_t ncuts,
                       struct sink *s)
{
    eddy__decoder d;
    eddy__decoder_init(&d, enc);
    memset(s, 0, sizeof *s);
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : in.n;
        feed(&d, s, in.p + from, to - from);
        from = to;
    }
    finish(&d, s);
}

/* ---- samples decoded whole, and split everywhere ---- */

/* The sample inputs: "héllo wörld", "日本語", "a€b𝄞c😀" (2, 3 and 4-byte characters),
 * a mix of invalid sequences ending in a truncated character, and U+00FF NUL DEL 0x80. */
static const struct blob samples[] = {
    BLOB("\x68\xc3\xa9\x6c\x6c\x6f\x20\x77\xc3\xb6\x72\x6c\x64"),
    BLOB("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
    BLOB("\x61\xe2\x82\xac\x62\xf0\x9d\x84\x9e\x63\xf0\x9f\x98\x80"),
    BLOB("\xe2\x82\x41\xed\xa0\x80\xf0\x9f\x98"),
    BLOB("\xc3\xbf\x00\x7f\x80"),
};

/* Each sample decoded in one read plus end(), as UTF-8 bytes of the JS string:
 *   node -e "const {StringDecoder} = require('string_decoder');
 *            const d = new StringDecoder(ENC);
 *            const s = d.write(Buffer.from(HEX, 'hex')) + d.end();
 *            console.log(Buffer.from(s).toString('hex'))"                              */
static const struct blob utf8_texts[] = {
    BLOB("\x68\xc3\xa9\x6c\x6c\x6f\x20\x77\xc3\xb6\x72\x6c\x64"),
    BLOB("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
    BLOB("\x61\xe2\x82\xac\x62\xf0\x9d\x84\x9e\x63\xf0\x9f\x98\x80"),
    BLOB("\xef\xbf\xbd\x41\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
    BLOB("\xc3\xbf\x00\x7f\xef\xbf\xbd"),
};

static const struct blob base64_texts[] = {
    BLOB("aMOpbGxvIHfDtnJsZA=="), BLOB("5pel5pys6Kqe"), BLOB("YeKCrGLwnYSeY/CfmIA="),
    BLOB("4oJB7aCA8J+Y"),         BLOB("w78Af4A="),
};

static const struct blob ascii_texts[] = {
    BLOB("\x68\x43\x29\x6c\x6c\x6f\x20\x77\x43\x36\x72\x6c\x64"),
    BLOB("\x66\x17\x25\x66\x1c\x2c\x68\x2a\x1e"),
    BLOB("\x61\x62\x02\x2c\x62\x70\x1d\x04\x1e\x63\x70\x1f\x18\x00"),
    BLOB("\x62\x02\x41\x6d\x20\x00\x70\x1f\x18"),
    BLOB("\x43\x3f\x00\x7f\x00"),
};

static const struct blob latin1_texts[] = {
    BLOB("\x68\xc3\x83\xc2\xa9\x6c\x6c\x6f\x20\x77\xc3\x83\xc2\xb6\x72\x6c\x64"),
    BLOB("\xc3\xa6\xc2\x97\xc2\xa5\xc3\xa6\xc2\x9c\xc2\xac\xc3\xa8\xc2\xaa\xc2\x9e"),
    BLOB("\x61\xc3\xa2\xc2\x82\xc2\xac\x62\xc3\xb0\xc2\x9d\xc2\x84\xc2\x9e\x63\xc3\xb0\xc2\x9f"
         "\xc2\x98\xc2\x80"),
    BLOB("\xc3\xa2\xc2\x82\x41\xc3\xad\xc2\xa0\xc2\x80\xc3\xb0\xc2\x9f\xc2\x98"),
    BLOB("\xc3\x83\xc2\xbf\x00\x7f\xc2\x80"),
};

static const struct blob hex_texts[] = {
    BLOB("68c3a96c6c6f2077c3b6726c64"),
    BLOB("e697a5e69cace8aa9e"),
    BLOB("61e282ac62f09d849e63f09f9880"),
    BLOB("e28241eda080f09f98"),
    BLOB("c3bf007f80"),
};

static const struct blob *texts_for(eddy_encoding enc)
{
    switch (enc) {
    case EDDY_ENC_UTF8:
        return utf8_texts;
    case EDDY_ENC_BASE64:
        return base64_texts;
    case EDDY_ENC_ASCII:
        return ascii_texts;
    case EDDY_ENC_LATIN1:
        return latin1_texts;
    case EDDY_ENC_HEX:
        return hex_texts;
    case EDDY_ENC_BUFFER:
    default:
        return samples; /* bytes as they are */
    }
}

static void expect_one_read_text(eddy_encoding enc)
{
    const struct blob *want = texts_for(enc);
    for (size_t i = 0; i < COUNT(samples); i++) {
        struct sink s;
        decode_cut(enc, samples[i], NULL, 0, &s);
        expect_text(&s, want[i], "one read");
    }
}

/* Every pair of cut points (i <= j), so every single split point and every three-way
 * split, gives the one-read text. */
static void expect_every_split_gives_one_read_text(eddy_encoding enc)
{
    const struct blob *want = texts_for(enc);
    for (size_t k = 0; k < COUNT(samples); k++) {
        for (size_t i = 0; i <= samples[k].n; i++) {
            for (size_t j = i; j <= samples[k].n; j++) {
                size_t cuts[2] = {i, j};
                struct sink s;
                decode_cut(enc, samples[k], cuts, 2, &s);
                char what[64];
                snprintf(what, sizeof what, "sample %zu cut at %zu and %zu", k, i, j);
                expect_text(&s, want[k], what);
            }
        }
    }
}

static void expect_one_byte_reads_give_one_read_text(eddy_encoding enc)
{
    const struct blob *want = texts_for(enc);
    for (size_t k = 0; k < COUNT(samples); k++) {
        size_t cuts[64];
        cr_assert_leq(samples[k].n, COUNT(cuts));
        for (size_t i = 0; i < samples[k].n; i++)
            cuts[i] = i + 1;
        struct sink s;
        decode_cut(enc, samples[k], cuts, samples[k].n, &s);
        char what[64];
        snprintf(what, sizeof what, "sample %zu in 1-byte reads", k);
        expect_text(&s, want[k], what);
    }
}

Test(utf8_decoder, decodes_samples_like_node_in_one_read)
{
    expect_one_read_text(EDDY_ENC_UTF8);
}

Test(utf8_decoder, every_split_point_gives_the_one_read_text)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_UTF8);
}

Test(utf8_decoder, one_byte_reads_give_the_one_read_text)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_UTF8);
}

Test(base64_decoder, encodes_samples_like_node_in_one_read)
{
    expect_one_read_text(EDDY_ENC_BASE64);
}

Test(base64_decoder, every_split_point_gives_the_one_read_text)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_BASE64);
}

Test(base64_decoder, one_byte_reads_give_the_one_read_text)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_BASE64);
}

Test(ascii_decoder, decodes_samples_like_node_in_one_read)
{
    expect_one_read_text(EDDY_ENC_ASCII);
}

Test(ascii_decoder, every_split_point_gives_the_one_read_text)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_ASCII);
}

Test(ascii_decoder, one_byte_reads_give_the_one_read_text)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_ASCII);
}

Test(latin1_decoder, decodes_samples_like_node_in_one_read)
{
    expect_one_read_text(EDDY_ENC_LATIN1);
}

Test(latin1_decoder, every_split_point_gives_the_one_read_text)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_LATIN1);
}

Test(latin1_decoder, one_byte_reads_give_the_one_read_text)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_LATIN1);
}

Test(hex_decoder, decodes_samples_like_node_in_one_read)
{
    expect_one_read_text(EDDY_ENC_HEX);
}

Test(hex_decoder, every_split_point_gives_the_one_read_text)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_HEX);
}

Test(hex_decoder, one_byte_reads_give_the_one_read_text)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_HEX);
}

Test(buffer_decoder, every_split_point_gives_the_bytes_unchanged)
{
    expect_every_split_gives_one_read_text(EDDY_ENC_BUFFER);
}

Test(buffer_decoder, one_byte_reads_give_the_bytes_unchanged)
{
    expect_one_byte_reads_give_one_read_text(EDDY_ENC_BUFFER);
}

/* ---- utf8: where the characters go ---- */

Test(utf8_decoder, split_character_is_delivered_whole_in_later_event)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(feed(&d, &s, "a\xe2\x82", 3), 1); /* "a", the euro sign held */
    cr_expect_eq(feed(&d, &s, "\xac", 1), 3);
    expect_text(&s, (struct blob)BLOB("a\xe2\x82\xac"), "euro split after 2 bytes");
    cr_expect_eq(s.events, 2);
}

Test(utf8_decoder, incomplete_character_alone_delivers_nothing)
{
    eddy__decoder d;
    char out[16];
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"\xf0\x9f", 2, out), 0);
    cr_expect_str_eq(out, "");
}

Test(utf8_decoder, four_byte_character_in_four_reads_comes_in_the_last)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(feed(&d, &s, "\xf0", 1), 0);
    cr_expect_eq(feed(&d, &s, "\x9f", 1), 0);
    cr_expect_eq(feed(&d, &s, "\x98", 1), 0);
    cr_expect_eq(feed(&d, &s, "\x80", 1), 4);
    expect_text(&s, (struct blob)BLOB("\xf0\x9f\x98\x80"), "U+1F600 byte by byte");
}

Test(utf8_decoder, empty_read_delivers_nothing_and_keeps_the_held_bytes)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(feed(&d, &s, "\xc3", 1), 0);
    cr_expect_eq(feed(&d, &s, "", 0), 0);
    cr_expect_eq(feed(&d, &s, "\xa9", 1), 2);
    expect_text(&s, (struct blob)BLOB("\xc3\xa9"), "e-acute around an empty read");
}

/* Invalid input decoded in one read, as Buffer.from(HEX, 'hex').toString() (which is also
 * what StringDecoder's write + end give) — V8 replaces each maximal subpart by U+FFFD:
 *   node -e "console.log(Buffer.from(Buffer.from(HEX, 'hex').toString()).toString('hex'))" */
static const struct {
    struct blob in, text;
} utf8_invalid[] = {
    {BLOB("\xc0\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd")},                 /* overlong NUL */
    {BLOB("\xc1\xbf"), BLOB("\xef\xbf\xbd\xef\xbf\xbd")},                 /* overlong DEL */
    {BLOB("\xe0\x80\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")}, /* overlong */
    {BLOB("\xe0\x9f\xbf"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")}, /* overlong */
    {BLOB("\xf0\x80\x80\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xf0\x8f\xbf\xbf"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xed\xa0\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")}, /* U+D800 */
    {BLOB("\xed\xbf\xbf"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")}, /* U+DFFF */
    {BLOB("\xf4\x8f\xbf\xbf"), BLOB("\xf4\x8f\xbf\xbf")},                 /* U+10FFFF */
    {BLOB("\xf4\x90\x80\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xf5\x80\x80\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xf8\x80\x80\x80\x80"),
     BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xfe"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xff"), BLOB("\xef\xbf\xbd")},
    {BLOB("\x80"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xbf"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xe2\x82\x41"), BLOB("\xef\xbf\xbd\x41")},
    {BLOB("\xf0\x9f\x98\x41"), BLOB("\xef\xbf\xbd\x41")},
    {BLOB("\xc3\x41"), BLOB("\xef\xbf\xbd\x41")},
    {BLOB("\xe2\x82"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xf0\x9f\x98"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xc3"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xc3\xc3\xa9"), BLOB("\xef\xbf\xbd\xc3\xa9")},
    {BLOB("\xe0\xa0"), BLOB("\xef\xbf\xbd")},
    {BLOB("\xe0\x80"), BLOB("\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xe0\xa0\xc0"), BLOB("\xef\xbf\xbd\xef\xbf\xbd")},
    {BLOB("\xc2\x80"), BLOB("\xc2\x80")},
    {BLOB("\xdf\xbf"), BLOB("\xdf\xbf")},
    {BLOB("\xe0\xa0\x80"), BLOB("\xe0\xa0\x80")},
    {BLOB("\xef\xbf\xbf"), BLOB("\xef\xbf\xbf")},
    {BLOB("\xf0\x90\x80\x80"), BLOB("\xf0\x90\x80\x80")},
    {BLOB("\xef\xbf\xbd"), BLOB("\xef\xbf\xbd")},
};

Test(utf8_decoder, invalid_sequences_become_replacement_characters_where_node_puts_them)
{
    for (size_t i = 0; i < COUNT(utf8_invalid); i++) {
        struct sink s;
        decode_cut(EDDY_ENC_UTF8, utf8_invalid[i].in, NULL, 0, &s);
        char what[32];
        snprintf(what, sizeof what, "invalid case %zu", i);
        expect_text(&s, utf8_invalid[i].text, what);
    }
}

Test(utf8_decoder, invalid_sequences_split_anywhere_give_the_same_replacements)
{
    for (size_t i = 0; i < COUNT(utf8_invalid); i++) {
        for (size_t cut = 0; cut <= utf8_invalid[i].in.n; cut++) {
            struct sink s;
            decode_cut(EDDY_ENC_UTF8, utf8_invalid[i].in, &cut, 1, &s);
            char what[48];
            snprintf(what, sizeof what, "invalid case %zu cut at %zu", i, cut);
            expect_text(&s, utf8_invalid[i].text, what);
        }
    }
}

Test(utf8_decoder, surrogate_encoding_becomes_three_replacements)
{
    struct sink s;
    decode_cut(EDDY_ENC_UTF8, (struct blob)BLOB("\xed\xa0\x80"), NULL, 0, &s);
    expect_text(&s, (struct blob)BLOB("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), "ED A0 80");
}

Test(utf8_decoder, truncated_sequence_followed_by_ascii_gives_one_replacement_then_the_ascii)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    /* node: d.write(Buffer.from('e282', 'hex')) is '', d.write(Buffer.from('41', 'hex'))
     * is '\ufffdA'. */
    cr_expect_eq(feed(&d, &s, "\xe2\x82", 2), 0);
    cr_expect_eq(feed(&d, &s, "A", 1), 4);
    expect_text(&s, (struct blob)BLOB("\xef\xbf\xbd\x41"), "E2 82 | 41");
}

Test(utf8_decoder, holds_an_already_invalid_prefix_until_it_is_finished_like_node)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    /* node: d.write(Buffer.from('e080', 'hex')) is '' although E0 80 can never become
     * valid; d.write(Buffer.from('80', 'hex')) then gives three U+FFFD. */
    cr_expect_eq(feed(&d, &s, "\xe0\x80", 2), 0);
    cr_expect_eq(feed(&d, &s, "\x80", 1), 9);
}

Test(utf8_decoder, end_flushes_an_incomplete_character_as_one_replacement)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    feed(&d, &s, "ok\xf0\x9f\x98", 5);
    cr_expect_eq(finish(&d, &s), 3);
    expect_text(&s, (struct blob)BLOB("ok\xef\xbf\xbd"), "F0 9F 98 then end");
}

Test(utf8_decoder, end_flushes_an_invalid_held_prefix_as_one_replacement_per_maximal_subpart)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    /* node: d.write(Buffer.from('e080', 'hex')) + d.end() is '\ufffd\ufffd' */
    feed(&d, &s, "\xe0\x80", 2);
    cr_expect_eq(finish(&d, &s), 6);
}

Test(utf8_decoder, end_with_nothing_held_gives_empty_text)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    feed(&d, &s, "abc", 3);
    cr_expect_eq(finish(&d, &s), 0);
}

Test(utf8_decoder, end_leaves_the_decoder_ready_for_a_new_stream)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    feed(&d, &s, "\xc3", 1);
    finish(&d, &s);
    s.len = 0;
    cr_expect_eq(feed(&d, &s, "\xa9", 1), 3); /* a lone continuation byte now */
    cr_expect_eq(finish(&d, &s), 0);
}

/* ---- base64 ---- */

Test(base64_decoder, holds_leftover_bytes_and_pads_them_at_end)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_BASE64);
    /* node: write([1,2,3,4]) 'AQID', write([5]) '', end() 'BAU=' */
    cr_expect_eq(feed(&d, &s, "\x01\x02\x03\x04", 4), 4);
    cr_expect_eq(feed(&d, &s, "\x05", 1), 0);
    cr_expect_eq(finish(&d, &s), 4);
    expect_text(&s, (struct blob)BLOB("AQIDBAU="), "[1,2,3,4] [5] end");
}

Test(base64_decoder, each_event_encodes_a_multiple_of_three_bytes)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_BASE64);
    cr_expect_eq(feed(&d, &s, "\x01\x02", 2), 0);
    cr_expect_eq(feed(&d, &s, "\x03\x04\x05\x06\x07", 5), 8); /* 1,2,3 and 4,5,6 */
    cr_expect_eq(finish(&d, &s), 4);
    expect_text(&s, (struct blob)BLOB("AQIDBAUGBw=="), "[1,2] [3..7] end");
}

Test(base64_decoder, end_pads_one_leftover_byte_with_two_equals)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_BASE64);
    feed(&d, &s, "\xff", 1);
    finish(&d, &s);
    expect_text(&s, (struct blob)BLOB("/w=="), "[255] end");
}

Test(base64_decoder, end_pads_two_leftover_bytes_with_one_equals)
{
    eddy__decoder d;
    struct sink s = {0};
    eddy__decoder_init(&d, EDDY_ENC_BASE64);
    feed(&d, &s, "\xff\xfe", 2);
    finish(&d, &s);
    expect_text(&s, (struct blob)BLOB("//4="), "[255,254] end");
}

/* ---- single-byte encodings ---- */

Test(ascii_decoder, clears_the_high_bit)
{
    eddy__decoder d;
    char out[8];
    eddy__decoder_init(&d, EDDY_ENC_ASCII);
    /* node: new StringDecoder('ascii').write(Buffer.from([0xe9, 0x41])) is 'iA' */
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"\xe9\x41", 2, out), 2);
    cr_expect_str_eq(out, "iA");
}

Test(latin1_decoder, maps_each_byte_to_its_code_point_in_utf8)
{
    eddy__decoder d;
    char out[8];
    eddy__decoder_init(&d, EDDY_ENC_LATIN1);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"\xe9\x41\xff", 3, out), 5);
    cr_expect_str_eq(out, "\xc3\xa9\x41\xc3\xbf");
}

Test(hex_decoder, writes_lowercase_pairs)
{
    eddy__decoder d;
    char out[16];
    eddy__decoder_init(&d, EDDY_ENC_HEX);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"\xab\x00\x0f", 3, out), 6);
    cr_expect_str_eq(out, "ab000f");
}

Test(buffer_decoder, copies_bytes_including_nul_as_they_are)
{
    eddy__decoder d;
    char out[8];
    eddy__decoder_init(&d, EDDY_ENC_BUFFER);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"a\0\xff", 3, out), 3);
    cr_expect_eq(memcmp(out, "a\0\xff", 4), 0);
}

Test(decoder, single_byte_encodings_hold_nothing_at_end)
{
    const eddy_encoding encs[] = {EDDY_ENC_BUFFER, EDDY_ENC_ASCII, EDDY_ENC_LATIN1, EDDY_ENC_HEX};
    for (size_t i = 0; i < COUNT(encs); i++) {
        eddy__decoder d;
        struct sink s = {0};
        eddy__decoder_init(&d, encs[i]);
        feed(&d, &s, "\xf0\x9f", 2);
        cr_expect_eq(finish(&d, &s), 0, "encoding %d", (int)encs[i]);
    }
}

Test(decoder, unknown_encoding_decodes_like_buffer)
{
    eddy__decoder d;
    char out[8];
    eddy__decoder_init(&d, (eddy_encoding)42);
    cr_expect_eq(eddy__decoder_bound(&d, 3), 3);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"abc", 3, out), 3);
    cr_expect_str_eq(out, "abc");
}

Test(decoder, null_arguments_do_not_crash)
{
    eddy__decoder d;
    char out[16];
    eddy__decoder_init(NULL, EDDY_ENC_UTF8);
    cr_expect_eq(eddy__decoder_bound(NULL, 10), 0);
    cr_expect_eq(eddy__decoder_write(NULL, (const unsigned char *)"a", 1, out), 0);
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(eddy__decoder_write(&d, NULL, 5, out), 0);
    cr_expect_eq(eddy__decoder_write(&d, (const unsigned char *)"a", 1, NULL), 0);
    cr_expect_eq(eddy__decoder_end(NULL, out), 0);
    cr_expect_str_eq(out, "");
    cr_expect_eq(eddy__decoder_end(&d, NULL), 0);
}

Test(decoder, bound_saturates_instead_of_overflowing)
{
    eddy__decoder d;
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    cr_expect_eq(eddy__decoder_bound(&d, SIZE_MAX / 2), SIZE_MAX);
    eddy__decoder_init(&d, EDDY_ENC_HEX);
    cr_expect_eq(eddy__decoder_bound(&d, SIZE_MAX), SIZE_MAX);
}

/* ---- Buffer.from(str, enc) ---- */

/* Converts and checks the bound with an exactly sized buffer. */
static void expect_bytes(eddy_encoding enc, const char *str, struct blob want)
{
    size_t slen = strlen(str);
    size_t bound = eddy__encoding_bytes_bound(enc, slen);
    unsigned char *out = malloc(bound ? bound : 1);
    cr_assert(out);
    size_t got = eddy__encoding_to_bytes(enc, str, slen, out);
    cr_expect_leq(got, bound, "\"%s\": %zu bytes over the bound %zu", str, got, bound);
    cr_expect(got == want.n && memcmp(out, want.p, want.n) == 0,
              "Buffer.from(\"%s\", %d): got %zu bytes, want %zu", str, (int)enc, got, want.n);
    free(out);
}

/* Expected bytes: node -e "console.log(Buffer.from(STR, ENC).toString('hex'))" */

Test(encoding_to_bytes, utf8_copies_the_bytes_as_they_are)
{
    expect_bytes(EDDY_ENC_UTF8, "h\xc3\xa9\x6c\x6c\x6f",
                 (struct blob)BLOB("h\xc3\xa9\x6c\x6c\x6f"));
    expect_bytes(EDDY_ENC_UTF8, "\xff\xfe", (struct blob)BLOB("\xff\xfe"));
}

Test(encoding_to_bytes, latin1_takes_the_low_8_bits_of_each_utf16_unit)
{
    /* Buffer.from('é€😀', 'latin1') is e9 ac 3d 00: U+1F600 is the pair D83D DE00. */
    expect_bytes(EDDY_ENC_LATIN1, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                 (struct blob)BLOB("\xe9\xac\x3d\x00"));
}

Test(encoding_to_bytes, ascii_writes_like_latin1)
{
    /* Buffer.from('é€😀', 'ascii') is e9 ac 3d 00 too: the high bit is kept. */
    expect_bytes(EDDY_ENC_ASCII, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                 (struct blob)BLOB("\xe9\xac\x3d\x00"));
}

Test(encoding_to_bytes, invalid_utf8_reads_as_the_replacement_character)
{
    /* Buffer.from(Buffer.from('ff41e282', 'hex').toString(), 'latin1') is fd 41 fd */
    expect_bytes(EDDY_ENC_LATIN1, "\xff\x41\xe2\x82", (struct blob)BLOB("\xfd\x41\xfd"));
}

Test(encoding_to_bytes, base64_decodes_the_standard_alphabet)
{
    expect_bytes(EDDY_ENC_BASE64, "aGVsbG8gd29ybGQ=", (struct blob)BLOB("hello world"));
    expect_bytes(EDDY_ENC_BASE64, "+/+/", (struct blob)BLOB("\xfb\xff\xbf"));
}

Test(encoding_to_bytes, base64_accepts_the_url_safe_alphabet)
{
    expect_bytes(EDDY_ENC_BASE64, "-_-_", (struct blob)BLOB("\xfb\xff\xbf"));
}

Test(encoding_to_bytes, base64_skips_whitespace_and_invalid_characters)
{
    expect_bytes(EDDY_ENC_BASE64, " Q U\tJ\nD !", (struct blob)BLOB("ABC"));
}

Test(encoding_to_bytes, base64_stops_at_the_first_equals_sign)
{
    expect_bytes(EDDY_ENC_BASE64, "QQ==QUJD", (struct blob)BLOB("A"));
    expect_bytes(EDDY_ENC_BASE64, "QUJD=QUJD", (struct blob)BLOB("ABC"));
}

Test(encoding_to_bytes, base64_final_group_of_two_or_three_characters_gives_one_or_two_bytes)
{
    expect_bytes(EDDY_ENC_BASE64, "QUJDRA", (struct blob)BLOB("ABCD"));
    expect_bytes(EDDY_ENC_BASE64, "QUJDREU", (struct blob)BLOB("ABCDE"));
    expect_bytes(EDDY_ENC_BASE64, "QUJDR", (struct blob)BLOB("ABC"));
}

Test(encoding_to_bytes, base64_reads_the_low_8_bits_of_non_ascii_characters)
{
    /* Buffer.from('ŁŁŁŁ', 'base64') is 00 00 00: U+0141 is read as 0x41, 'A'. And U+1F600
     * (D83D DE00) is read as '=' then NUL: Buffer.from('QUJD😀QUJD', 'base64') is ABC. */
    expect_bytes(EDDY_ENC_BASE64, "\xc5\x81\xc5\x81\xc5\x81\xc5\x81",
                 (struct blob)BLOB("\x00\x00\x00"));
    expect_bytes(EDDY_ENC_BASE64, "QUJD\xf0\x9f\x98\x80QUJD", (struct blob)BLOB("ABC"));
}

Test(encoding_to_bytes, hex_decodes_pairs_in_either_case)
{
    expect_bytes(EDDY_ENC_HEX, "DEADbeef", (struct blob)BLOB("\xde\xad\xbe\xef"));
}

Test(encoding_to_bytes, hex_stops_at_the_first_bad_pair)
{
    expect_bytes(EDDY_ENC_HEX, "deadXXbeef", (struct blob)BLOB("\xde\xad"));
    expect_bytes(EDDY_ENC_HEX, "a b", (struct blob)BLOB(""));
}

Test(encoding_to_bytes, hex_drops_an_odd_trailing_digit)
{
    expect_bytes(EDDY_ENC_HEX, "abc", (struct blob)BLOB("\xab"));
}

Test(encoding_to_bytes, hex_reads_the_low_8_bits_of_non_ascii_characters)
{
    /* Buffer.from('ŁŁ', 'hex') is aa */
    expect_bytes(EDDY_ENC_HEX, "\xc5\x81\xc5\x81", (struct blob)BLOB("\xaa"));
}

Test(encoding_to_bytes, empty_string_gives_no_bytes)
{
    const eddy_encoding encs[] = {EDDY_ENC_BUFFER, EDDY_ENC_UTF8, EDDY_ENC_ASCII,
                                  EDDY_ENC_BASE64, EDDY_ENC_HEX,  EDDY_ENC_LATIN1};
    for (size_t i = 0; i < COUNT(encs); i++)
        expect_bytes(encs[i], "", (struct blob)BLOB(""));
}

Test(encoding_to_bytes, unknown_encoding_gives_no_bytes)
{
    unsigned char out[4];
    cr_expect_eq(eddy__encoding_bytes_bound((eddy_encoding)42, 3), 0);
    cr_expect_eq(eddy__encoding_to_bytes((eddy_encoding)42, "abc", 3, out), 0);
    cr_expect_eq(eddy__encoding_to_bytes(EDDY_ENC_HEX, NULL, 3, out), 0);
}

/* ---- names ---- */

Test(encoding_from_name, accepts_node_spellings_in_any_case)
{
    static const struct {
        const char *name;
        int enc;
    } names[] = {
        {"utf8", EDDY_ENC_UTF8},     {"UTF8", EDDY_ENC_UTF8},     {"utf-8", EDDY_ENC_UTF8},
        {"UTF-8", EDDY_ENC_UTF8},    {"Utf-8", EDDY_ENC_UTF8},    {"ascii", EDDY_ENC_ASCII},
        {"ASCII", EDDY_ENC_ASCII},   {"base64", EDDY_ENC_BASE64}, {"Base64", EDDY_ENC_BASE64},
        {"hex", EDDY_ENC_HEX},       {"HEX", EDDY_ENC_HEX},       {"latin1", EDDY_ENC_LATIN1},
        {"LATIN1", EDDY_ENC_LATIN1}, {"binary", EDDY_ENC_LATIN1}, {"BINARY", EDDY_ENC_LATIN1},
        {"buffer", EDDY_ENC_BUFFER},
    };
    for (size_t i = 0; i < COUNT(names); i++)
        cr_expect_eq(eddy_encoding_from_name(names[i].name), names[i].enc, "\"%s\"", names[i].name);
}

Test(encoding_from_name, rejects_node_encodings_that_eddy_lacks)
{
    static const char *const names[] = {"utf16le", "utf-16le",  "ucs2",
                                        "UCS-2",   "base64url", "BASE64URL"};
    for (size_t i = 0; i < COUNT(names); i++)
        cr_expect_eq(eddy_encoding_from_name(names[i]), -EINVAL, "\"%s\"", names[i]);
}

Test(encoding_from_name, rejects_unknown_empty_and_null_names)
{
    static const char *const names[] = {"",      "utf 8", "latin-1", "raw",
                                        "utf8 ", "utf",   "binary2", "h\xc3\xa9x"};
    for (size_t i = 0; i < COUNT(names); i++)
        cr_expect_eq(eddy_encoding_from_name(names[i]), -EINVAL, "\"%s\"", names[i]);
    cr_expect_eq(eddy_encoding_from_name(NULL), -EINVAL);
}

Test(encoding_valid, accepts_exactly_the_enum_values)
{
    for (int e = EDDY_ENC_BUFFER; e <= EDDY_ENC_LATIN1; e++)
        cr_expect(eddy__encoding_valid(e));
    cr_expect_not(eddy__encoding_valid(-1));
    cr_expect_not(eddy__encoding_valid(EDDY_ENC_LATIN1 + 1));
}

/* ---- differential tests against node ---- */

static const char *const enc_names[] = {
    [EDDY_ENC_BUFFER] = "buffer", [EDDY_ENC_UTF8] = "utf8", [EDDY_ENC_ASCII] = "ascii",
    [EDDY_ENC_BASE64] = "base64", [EDDY_ENC_HEX] = "hex",   [EDDY_ENC_LATIN1] = "latin1",
};

struct growbuf {
    char *p;
    size_t len, cap;
};

static void gb_put(struct growbuf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        cr_assert(p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void gb_put_hex(struct growbuf *b, const void *data, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        char pair[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        gb_put(b, pair, 2);
    }
}

/* Random bytes leaning on what is interesting for UTF-8: boundary lead bytes,
 * continuation bytes at the edges of the ranges V8 accepts, valid characters. */
static size_t gen_bytes(uint64_t *rng, unsigned char *out, size_t max)
{
    static const unsigned char interesting[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                                0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
                                                0xe1, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                        "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
    size_t n = node_rng_below(rng, max + 1);
    size_t i = 0;
    while (i < n) {
        switch (node_rng_below(rng, 4)) {
        case 0:
            out[i++] = interesting[node_rng_below(rng, sizeof interesting)];
            break;
        case 1: {
            const char *c = chars[node_rng_below(rng, COUNT(chars))];
            for (size_t k = 0; c[k] && i < n; k++)
                out[i++] = (unsigned char)c[k];
            break;
        }
        case 2:
            out[i++] = (unsigned char)(0x80 + node_rng_below(rng, 0x40));
            break;
        default:
            out[i++] = (unsigned char)node_rng_next(rng);
            break;
        }
    }
    return n;
}

/* For each line "ENC HEX,HEX,...": the text of each write, then of end(), in hex. */
static const char decoder_script[] =
    "const fs = require('fs');\n"
    "const { StringDecoder } = require('string_decoder');\n"
    "const lines = fs.readFileSync(process.argv[2], 'latin1').split('\\n');\n"
    "lines.pop();\n"
    "const hex = (s) => Buffer.from(s, 'utf8').toString('hex');\n"
    "const out = lines.map((line) => {\n"
    "  const [enc, chunks] = line.split(' ');\n"
    "  const d = new StringDecoder(enc);\n"
    "  const ev = chunks.split(',').map((h) => hex(d.write(Buffer.from(h, 'hex'))));\n"
    "  ev.push(hex(d.end()));\n"
    "  return ev.join(',');\n"
    "});\n"
    "process.stdout.write(out.join('\\n') + '\\n');\n";

enum { DECODER_DIFF_CASES = 3000 };

Test(decoder, agrees_with_node_string_decoder_event_by_event, .timeout = 120)
{
    static const eddy_encoding encs[] = {EDDY_ENC_UTF8, EDDY_ENC_BASE64, EDDY_ENC_ASCII,
                                         EDDY_ENC_LATIN1, EDDY_ENC_HEX};
    struct growbuf input = {0}, mine = {0};
    uint64_t rng = 0xD1B54A32D192ED03ULL;
    unsigned char bytes[64];

    for (size_t c = 0; c < DECODER_DIFF_CASES; c++) {
        for (size_t e = 0; e < COUNT(encs); e++) {
            size_t n = gen_bytes(&rng, bytes, sizeof bytes);
            eddy__decoder d;
            eddy__decoder_init(&d, encs[e]);
            gb_put(&input, enc_names[encs[e]], strlen(enc_names[encs[e]]));
            gb_put(&input, " ", 1);
            size_t from = 0, reads = 0;
            do {
                size_t to = from + node_rng_below(&rng, 6); /* empty reads too */
                if (to > n || node_rng_below(&rng, 8) == 0) to = n;
                if (reads++) {
                    gb_put(&input, ",", 1);
                    gb_put(&mine, ",", 1);
                }
                gb_put_hex(&input, bytes + from, to - from);
                char out[3 * 64 + 16];
                size_t got = eddy__decoder_write(&d, bytes + from, to - from, out);
                gb_put_hex(&mine, out, got);
                from = to;
            } while (from < n);
            char out[16];
            size_t got = eddy__decoder_end(&d, out);
            gb_put(&mine, ",", 1);
            gb_put_hex(&mine, out, got);
            gb_put(&input, "\n", 1);
            gb_put(&mine, "\n", 1);
        }
    }

    /* eddy decoded everything above, so the generated streams exercise it even where
     * node cannot run. */
    const char *no_node = node_unavailable_reason();
    if (no_node) {
        free(input.p);
        free(mine.p);
        cr_skip_test("%s: comparison with StringDecoder skipped", no_node);
    }

    size_t node_len = 0;
    char *node = node_run(decoder_script, input.p, input.len, &node_len);
    cr_assert(node, "running node failed");

    /* Compare line by line to report the input of the first differences. */
    const char *a = mine.p, *b = node, *in = input.p;
    size_t mismatches = 0, lines = 0;
    while (*a && *b && *in) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n"), li = strcspn(in, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            if (++mismatches <= 10)
                cr_log_error("input %.*s\n  node %.*s\n  eddy %.*s", (int)li, in, (int)lb, b,
                             (int)la, a);
        }
        lines++;
        a += la + (a[la] != 0);
        b += lb + (b[lb] != 0);
        in += li + (in[li] != 0);
    }
    cr_expect_eq(lines, (size_t)DECODER_DIFF_CASES * COUNT(encs), "compared %zu lines", lines);
    cr_expect_eq(mismatches, 0, "%zu streams decoded differently from node", mismatches);
    free(node);
    free(input.p);
    free(mine.p);
}

/* For each line "ENC HEX": Buffer.from(the string that HEX decodes to, ENC), in hex. */
static const char to_bytes_script[] =
    "const fs = require('fs');\n"
    "const lines = fs.readFileSync(process.argv[2], 'latin1').split('\\n');\n"
    "lines.pop();\n"
    "const out = lines.map((line) => {\n"
    "  const [enc, h] = line.split(' ');\n"
    "  return Buffer.from(Buffer.from(h, 'hex').toString('utf8'), enc).toString('hex');\n"
    "});\n"
    "process.stdout.write(out.join('\\n') + '\\n');\n";

/* Strings leaning on what Node's lenient decoders treat specially: both base64
 * alphabets, '=', whitespace, hex digits, characters whose low 8 bits are ASCII (U+0141
 * reads as 'A', U+013D as '='), characters above U+FFFF, invalid UTF-8. */
static size_t gen_string(uint64_t *rng, char *out, size_t max)
{
    static const char *const pieces[] = {
        "A",
        "Q",
        "z",
        "0",
        "9",
        "+",
        "/",
        "-",
        "_",
        "=",
        " ",
        "\t",
        "\r",
        "!",
        "a",
        "f",
        "F",
        "g",
        "\xc5\x81",
        "\xc4\xbd",
        "\xc4\x80",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xff",
        "\xe2\x82",
        "\xed\xa0\x80",
    };
    size_t target = node_rng_below(rng, max - 4);
    size_t n = 0;
    /* Mostly base64 and hex digits, so that the decoders get far enough to be tested. */
    while (n < target) {
        const char *p;
        if (node_rng_below(rng, 3))
            p = pieces[node_rng_below(rng, 9)];
        else
            p = pieces[node_rng_below(rng, COUNT(pieces))];
        size_t k = strlen(p);
        memcpy(out + n, p, k);
        n += k;
    }
    out[n] = '\0';
    return n;
}

enum { TO_BYTES_DIFF_CASES = 4000 };

Test(encoding_to_bytes, agrees_with_node_buffer_from, .timeout = 120)
{
    /* utf8 is left out: eddy sends the bytes as they are, Node would replace invalid
     * sequences by U+FFFD. */
    static const eddy_encoding encs[] = {EDDY_ENC_BASE64, EDDY_ENC_HEX, EDDY_ENC_ASCII,
                                         EDDY_ENC_LATIN1};
    struct growbuf input = {0}, mine = {0};
    uint64_t rng = 0xA0761D6478BD642FULL;
    static char str[20000];
    static unsigned char bytes[20000];

    for (size_t c = 0; c < TO_BYTES_DIFF_CASES; c++) {
        /* A few long strings take Node's other path (createFromString, >= 4 KiB). */
        size_t max = c % 500 == 0 ? sizeof str - 8 : 64;
        size_t n = gen_string(&rng, str, max);
        for (size_t e = 0; e < COUNT(encs); e++) {
            gb_put(&input, enc_names[encs[e]], strlen(enc_names[encs[e]]));
            gb_put(&input, " ", 1);
            gb_put_hex(&input, str, n);
            gb_put(&input, "\n", 1);
            cr_assert_leq(eddy__encoding_bytes_bound(encs[e], n), sizeof bytes);
            size_t got = eddy__encoding_to_bytes(encs[e], str, n, bytes);
            gb_put_hex(&mine, bytes, got);
            gb_put(&mine, "\n", 1);
        }
    }

    const char *no_node = node_unavailable_reason();
    if (no_node) {
        free(input.p);
        free(mine.p);
        cr_skip_test("%s: comparison with Buffer.from skipped", no_node);
    }

    size_t node_len = 0;
    char *node = node_run(to_bytes_script, input.p, input.len, &node_len);
    cr_assert(node, "running node failed");

    const char *a = mine.p, *b = node, *in = input.p;
    size_t mismatches = 0, lines = 0;
    while (*a && *b && *in) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n"), li = strcspn(in, "\n");
        if (la != lb || memcmp(a, b, la) != 0) {
            if (++mismatches <= 10)
                cr_log_error("input %.*s\n  node %.*s\n  eddy %.*s", (int)(li > 200 ? 200 : li), in,
                             (int)(lb > 200 ? 200 : lb), b, (int)(la > 200 ? 200 : la), a);
        }
        lines++;
        a += la + (a[la] != 0);
        b += lb + (b[lb] != 0);
        in += li + (in[li] != 0);
    }
    cr_expect_eq(lines, (size_t)TO_BYTES_DIFF_CASES * COUNT(encs), "compared %zu lines", lines);
    cr_expect_eq(mismatches, 0, "%zu strings converted differently from node", mismatches);
    free(node);
    free(input.p);
    free(mine.p);
}
