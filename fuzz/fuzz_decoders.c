/* libFuzzer target for the decoders and eddy__encoding_to_bytes.
 *
 * Input: [encoding][number of reads][read lengths...][data...]. The data is decoded once
 * in one read and once in the reads the input describes; both must give the same text
 * (Node's StringDecoder has that property, and tests/test_encoding.c checks eddy against
 * node). Every output buffer is allocated at exactly the promised bound + 1 so that ASan
 * reports any write past it. The same data then goes through eddy__encoding_to_bytes and
 * eddy_encoding_from_name. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct text {
    char *p;
    size_t len;
};

static void text_append(struct text *t, const char *s, size_t n)
{
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

/* One read: output sized exactly by the bound, checked for the bound and the NUL. */
static void decode_read(eddy__decoder *d, const uint8_t *in, size_t n, struct text *t)
{
    size_t bound = eddy__decoder_bound(d, n);
    char *out = malloc(bound + 1);
    if (!out) abort();
    size_t got = eddy__decoder_write(d, in, n, out);
    if (got > bound || out[got] != '\0') abort();
    /* Node emits whole base64 quanta and whole hex pairs per event. */
    if (d->enc == EDDY_ENC_BASE64 && got % 4 != 0) abort();
    if (d->enc == EDDY_ENC_HEX && got != 2 * n) abort();
    text_append(t, out, got);
    free(out);
}

static void decode_end(eddy__decoder *d, struct text *t)
{
    char out[16];
    size_t got = eddy__decoder_end(d, out);
    if (got >= sizeof out || out[got] != '\0') abort();
    text_append(t, out, got);
}

/* V8 output is always valid UTF-8, so decoding eddy's utf8 text again must not change
 * it. */
static void check_utf8_is_valid(const struct text *t)
{
    eddy__decoder d;
    eddy__decoder_init(&d, EDDY_ENC_UTF8);
    char *again = malloc(eddy__decoder_bound(&d, t->len) + 16);
    if (!again) abort();
    size_t n = eddy__decoder_write(&d, (const unsigned char *)t->p, t->len, again);
    n += eddy__decoder_end(&d, again + n);
    if (n != t->len || memcmp(again, t->p, n) != 0) abort();
    free(again);
}

static void check_decoder(eddy_encoding enc, const uint8_t *reads, size_t nreads, const uint8_t *in,
                          size_t n)
{
    eddy__decoder d;
    /* bound of everything at once (3x for utf8) plus what end() may add */
    size_t cap = 3 * n + 16;
    struct text whole = {malloc(cap), 0}, pieces = {malloc(cap), 0};
    if (!whole.p || !pieces.p) abort();

    eddy__decoder_init(&d, enc);
    decode_read(&d, in, n, &whole);
    decode_end(&d, &whole);

    eddy__decoder_init(&d, enc);
    size_t from = 0;
    for (size_t i = 0; i < nreads && from < n; i++) {
        size_t len = reads[i] % (n - from + 1); /* 0: an empty read */
        decode_read(&d, in + from, len, &pieces);
        from += len;
    }
    decode_read(&d, in + from, n - from, &pieces);
    decode_end(&d, &pieces);

    if (whole.len != pieces.len || memcmp(whole.p, pieces.p, whole.len) != 0) abort();
    if (enc == EDDY_ENC_UTF8) check_utf8_is_valid(&whole);
    free(whole.p);
    free(pieces.p);
}

static void check_to_bytes(eddy_encoding enc, const uint8_t *in, size_t n)
{
    size_t bound = eddy__encoding_bytes_bound(enc, n);
    unsigned char *out = malloc(bound ? bound : 1);
    if (!out) abort();
    size_t got = eddy__encoding_to_bytes(enc, (const char *)in, n, out);
    if (got > bound) abort();
    free(out);
}

/* Any name gives -EINVAL or an encoding that the decoders know. */
static void check_name(const uint8_t *in, size_t n)
{
    char *name = malloc(n + 1);
    if (!name) abort();
    memcpy(name, in, n);
    name[n] = '\0';
    int enc = eddy_encoding_from_name(name);
    if (enc != -EINVAL && !eddy__encoding_valid(enc)) abort();
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    /* Values past the enum are kept now and then: they must decode like buffer. */
    eddy_encoding enc = (eddy_encoding)(data[0] % 8);
    size_t nreads = data[1] % 16;
    if (size - 2 < nreads) nreads = size - 2;
    const uint8_t *reads = data + 2;
    const uint8_t *in = data + 2 + nreads;
    size_t n = size - 2 - nreads;

    check_decoder(enc, reads, nreads, in, n);
    check_to_bytes(enc, in, n);
    check_name(in, n);
    return 0;
}
