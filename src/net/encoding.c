/* Node's StringDecoder (src/string_decoder.cc) and Buffer.from(str, enc), byte for byte.
 *
 * The decoders copy Node's chunk-boundary rules literally rather than running a pure
 * streaming UTF-8 state machine: Node decides what to hold back by looking only at the
 * lead byte (so it holds E0 80 even though it is already invalid) and decodes the held
 * character separately from the rest of the chunk. Copying those rules makes each 'data'
 * event carry the same text as Node's, not only the same concatenation. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "encoding.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifndef EDDY_NO_ENCODINGS
/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};

static const char hex_digits[] = "0123456789abcdef";

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Node's unbase64 table as a function: both the standard and the url-safe alphabet
 * decode, so that Buffer.from(s, 'base64') accepts either. -1: a character to skip. */
static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

static bool encoding_is_known(int enc)
{
    return enc >= EDDY_ENC_BUFFER && enc <= EDDY_ENC_LATIN1;
}

bool eddy__encoding_valid(int enc)
{
    return encoding_is_known(enc);
}

/* Saturates instead of wrapping so that an absurd length yields an allocation that fails
 * (-ENOMEM) rather than a small buffer that overflows. */
static size_t mul_sat(size_t a, size_t b)
{
    if (b != 0 && a > SIZE_MAX / b)
        return SIZE_MAX;
    return a * b;
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* ---- UTF-8 validation, as V8 (WHATWG "maximal subpart") does it ---- */

/* Looks at the character starting at p[0] (n >= 1 bytes available). Returns the number of
 * bytes it spans and sets *valid. An invalid or truncated character spans its maximal
 * subpart: the lead byte plus the continuation bytes that were still acceptable, which is
 * what one U+FFFD replaces; the next byte then starts afresh. This is why ED A0 80 gives
 * three U+FFFD (ED admits only 80..9F, surrogates excluded) and F0 90 at the end gives
 * one. */
static size_t utf8_char(const unsigned char *p, size_t n, bool *valid, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t v;

    *valid = false;
    *cp = 0xFFFD;
    if (c < 0x80) {
        *valid = true;
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 1; /* continuation byte, C0, C1 or F5..FF: never a lead */
    }
    for (size_t i = 1; i < len; i++) {
        if (i >= n || p[i] < lo || p[i] > hi)
            return i;
        v = (v << 6) | (p[i] & 0x3Fu);
        lo = 0x80;
        hi = 0xBF;
    }
    *valid = true;
    *cp = v;
    return len;
}

/* Node's MakeString for utf8: the bytes as V8 turns them into a string, written back as
 * UTF-8 (valid characters unchanged, each maximal subpart one U+FFFD). Writes at most
 * 3 * n bytes. */
static size_t utf8_sanitize(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    size_t i = 0;

    while (i < n) {
        /* ASCII runs are the common case: copy them without the per-character checks. */
        if (in[i] < 0x80) {
            out[o++] = (char)in[i++];
            continue;
        }
        bool valid;
        uint32_t cp;
        size_t len = utf8_char(in + i, n - i, &valid, &cp);
        if (valid) {
            memcpy(out + o, in + i, len);
            o += len;
        } else {
            memcpy(out + o, replacement, sizeof replacement);
            o += sizeof replacement;
        }
        i += len;
    }
    return o;
}

static size_t base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = base64_alphabet[v >> 18];
        out[o++] = base64_alphabet[(v >> 12) & 0x3F];
        out[o++] = base64_alphabet[(v >> 6) & 0x3F];
        out[o++] = base64_alphabet[v & 0x3F];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = base64_alphabet[v >> 18];
        out[o++] = base64_alphabet[(v >> 12) & 0x3F];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = base64_alphabet[v >> 18];
        out[o++] = base64_alphabet[(v >> 12) & 0x3F];
        out[o++] = base64_alphabet[(v >> 6) & 0x3F];
        out[o++] = '=';
    }
    return o;
}

/* Node's MakeString: the whole of in[0..n) as text in the decoder's encoding. */
static size_t make_string(eddy_encoding enc, const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;

    switch (enc) {
    case EDDY_ENC_UTF8:
        return utf8_sanitize(in, n, out);
    case EDDY_ENC_BASE64:
        return base64_encode(in, n, out);
    case EDDY_ENC_ASCII:
        /* Node's 'ascii' decoding clears the high bit (it is latin1 of byte & 0x7F). */
        for (size_t i = 0; i < n; i++)
            out[o++] = (char)(in[i] & 0x7F);
        return o;
    case EDDY_ENC_LATIN1:
        for (size_t i = 0; i < n; i++) {
            if (in[i] < 0x80) {
                out[o++] = (char)in[i];
            } else {
                out[o++] = (char)(0xC0 | (in[i] >> 6));
                out[o++] = (char)(0x80 | (in[i] & 0x3F));
            }
        }
        return o;
    case EDDY_ENC_HEX:
        for (size_t i = 0; i < n; i++) {
            out[o++] = hex_digits[in[i] >> 4];
            out[o++] = hex_digits[in[i] & 0x0F];
        }
        return o;
    case EDDY_ENC_BUFFER:
    default:
        if (n)
            memcpy(out, in, n);
        return n;
    }
}

/* ---- the streaming decoder ---- */

void eddy__decoder_init(eddy__decoder *d, eddy_encoding enc)
{
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    /* An out-of-range value must not reach the switch statements as something else:
     * the bytes are then delivered unchanged. */
    d->enc = encoding_is_known((int)enc) ? enc : EDDY_ENC_BUFFER;
}

/* Only utf8 and base64 ever hold bytes back (as in Node); the others decode each byte on
 * its own. */
static bool decoder_holds(const eddy__decoder *d)
{
    return d->enc == EDDY_ENC_UTF8 || d->enc == EDDY_ENC_BASE64;
}

size_t eddy__decoder_bound(const eddy__decoder *d, size_t len)
{
    if (!d)
        return 0;
    size_t total = add_sat(len, decoder_holds(d) ? d->nheld : 0);
    switch (d->enc) {
    case EDDY_ENC_UTF8:
        return mul_sat(total, 3); /* one invalid byte becomes 3-byte U+FFFD */
    case EDDY_ENC_BASE64:
        return mul_sat(total / 3, 4); /* write emits whole quanta only */
    case EDDY_ENC_LATIN1:
    case EDDY_ENC_HEX:
        return mul_sat(total, 2);
    case EDDY_ENC_ASCII:
    case EDDY_ENC_BUFFER:
    default:
        return total;
    }
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* After the held character is dealt with, Node looks at the end of the chunk for a
 * character that the next chunk will finish. The rule looks only at the lead byte's
 * announced length (C0, C1 and F5..F7 count too), exactly like string_decoder.cc; the
 * held bytes may already be invalid, they are decoded when the character is finished or
 * the stream ends. Returns how many trailing bytes to hold and sets *need. */
static size_t utf8_incomplete_tail(const unsigned char *in, size_t n, unsigned char *need)
{
    *need = 0;
    if (n == 0 || !(in[n - 1] & 0x80))
        return 0;
    size_t buffered = 0;
    for (size_t i = n - 1;; i--) {
        buffered++;
        if (is_continuation(in[i])) {
            /* Four trailing bytes cannot belong to one unfinished character, and a chunk
             * made only of continuation bytes continues nothing that we hold. */
            if (buffered >= 4 || i == 0)
                return 0;
            continue;
        }
        unsigned char len;
        if ((in[i] & 0xE0) == 0xC0)
            len = 2;
        else if ((in[i] & 0xF0) == 0xE0)
            len = 3;
        else if ((in[i] & 0xF8) == 0xF0)
            len = 4;
        else
            return 0;
        if (buffered >= len)
            return 0;
        *need = len;
        return buffered;
    }
}

size_t eddy__decoder_write(eddy__decoder *d, const unsigned char *in, size_t len, char *out)
{
    size_t o = 0;

    if (!d || !out)
        return 0;
    if (!in)
        len = 0;
    if (!decoder_holds(d)) {
        o = make_string(d->enc, in, len, out);
        out[o] = '\0';
        return o;
    }

    /* First finish the character (or base64 quantum) held from the previous chunk. */
    if (d->need > d->nheld) {
        size_t missing = (size_t)(d->need - d->nheld);
        if (d->enc == EDDY_ENC_UTF8) {
            /* A byte that is not a continuation ends the held character early: the held
             * bytes are decoded as they are (to U+FFFD) and that byte starts anew. */
            for (size_t i = 0; i < len && i < missing; i++) {
                if (!is_continuation(in[i])) {
                    memcpy(d->held + d->nheld, in, i);
                    d->nheld = (unsigned char)(d->nheld + i);
                    d->need = d->nheld;
                    in += i;
                    len -= i;
                    missing = 0;
                    break;
                }
            }
        }
        size_t found = len < missing ? len : missing;
        if (found)
            memcpy(d->held + d->nheld, in, found);
        d->nheld = (unsigned char)(d->nheld + found);
        in += found;
        len -= found;
        if (d->nheld == d->need) {
            o = make_string(d->enc, d->held, d->nheld, out);
            d->nheld = 0;
            d->need = 0;
        }
    }

    if (len > 0) {
        size_t hold;
        unsigned char need;
        if (d->enc == EDDY_ENC_UTF8) {
            hold = utf8_incomplete_tail(in, len, &need);
        } else {
            hold = len % 3;
            need = hold ? 3 : 0;
        }
        if (hold) {
            len -= hold;
            memcpy(d->held, in + len, hold);
            d->nheld = (unsigned char)hold;
            d->need = need;
        }
        o += make_string(d->enc, in, len, out + o);
    }
    out[o] = '\0';
    return o;
}

size_t eddy__decoder_end(eddy__decoder *d, char *out)
{
    size_t o = 0;

    if (!out)
        return 0;
    if (d && decoder_holds(d) && d->nheld > 0)
        o = make_string(d->enc, d->held, d->nheld, out);
    if (d) {
        /* Like Node's end(), the decoder is ready for a new stream afterwards. */
        d->nheld = 0;
        d->need = 0;
    }
    out[o] = '\0';
    return o;
}

/* ---- strings to bytes (Buffer.from) ---- */

/* Node converts the JavaScript string, i.e. UTF-16 code units, so the C string is read as
 * V8 would build that string from UTF-8: invalid bytes become U+FFFD (maximal subparts) and
 * characters above U+FFFF become a surrogate pair. Node's latin1, ascii, hex and base64
 * writers then look at each code unit truncated to its low 8 bits (a static_cast<uint8_t>
 * in string_bytes.cc and base64-inl.h), which is why Buffer.from('\u0141', 'hex') reads
 * 'A' and Buffer.from('\u{1F600}', 'latin1') is 3d 00. */
typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    uint16_t pending; /* the low surrogate of a pair, 0 when none */
} utf16_reader;

static bool utf16_next(utf16_reader *r, uint16_t *unit)
{
    if (r->pending) {
        *unit = r->pending;
        r->pending = 0;
        return true;
    }
    if (r->p >= r->end)
        return false;
    bool valid;
    uint32_t cp;
    r->p += utf8_char(r->p, (size_t)(r->end - r->p), &valid, &cp);
    if (cp > 0xFFFF) {
        cp -= 0x10000;
        *unit = (uint16_t)(0xD800 | (cp >> 10));
        r->pending = (uint16_t)(0xDC00 | (cp & 0x3FF));
    } else {
        *unit = (uint16_t)cp;
    }
    return true;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t eddy__encoding_bytes_bound(eddy_encoding enc, size_t slen)
{
    switch (enc) {
    case EDDY_ENC_BUFFER:
    case EDDY_ENC_UTF8:
    case EDDY_ENC_ASCII:
    case EDDY_ENC_LATIN1:
        /* A character never gives more code units than it has UTF-8 bytes. */
        return slen;
    case EDDY_ENC_HEX:
        return slen / 2;
    case EDDY_ENC_BASE64:
        return slen / 4 * 3 + 2;
    default:
        return 0;
    }
}

/* Node's base64 decoder, reduced to its observable rule: characters outside both
 * alphabets are skipped, the first '=' ends the input wherever it is, and a final group of
 * 2 or 3 characters gives 1 or 2 bytes (1 character gives none). Node sizes its buffer
 * from the string length, which never cuts this output short. */
static size_t base64_decode(utf16_reader *r, unsigned char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int nacc = 0;
    uint16_t unit;

    while (utf16_next(r, &unit)) {
        unsigned char c = (unsigned char)unit;
        int v = base64_value(c);
        if (v < 0) {
            if (c == '=')
                break;
            continue;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (++nacc == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
            nacc = 0;
        }
    }
    if (nacc == 2) {
        out[o++] = (unsigned char)(acc >> 4);
    } else if (nacc == 3) {
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    return o;
}

/* Node's hex_decode: pairs of code units, stopping at the first pair that is not two hex
 * digits; an odd last unit is dropped. */
static size_t hex_decode(utf16_reader *r, unsigned char *out)
{
    size_t o = 0;
    uint16_t hi, lo;

    while (utf16_next(r, &hi) && utf16_next(r, &lo)) {
        int a = hex_value((unsigned char)hi);
        int b = hex_value((unsigned char)lo);
        if (a < 0 || b < 0)
            break;
        out[o++] = (unsigned char)(a << 4 | b);
    }
    return o;
}

size_t eddy__encoding_to_bytes(eddy_encoding enc, const char *str, size_t slen, unsigned char *out)
{
    if (!str || !out)
        return 0;
    utf16_reader r = {(const unsigned char *)str, (const unsigned char *)str + slen, 0};
    size_t o = 0;
    uint16_t unit;

    switch (enc) {
    case EDDY_ENC_BUFFER:
    case EDDY_ENC_UTF8:
        /* The caller's bytes go out unchanged, even when they are not valid UTF-8: a C
         * program that writes a string expects those bytes on the wire. */
        if (slen)
            memcpy(out, str, slen);
        return slen;
    case EDDY_ENC_ASCII:
    case EDDY_ENC_LATIN1:
        while (utf16_next(&r, &unit))
            out[o++] = (unsigned char)unit;
        return o;
    case EDDY_ENC_HEX:
        return hex_decode(&r, out);
    case EDDY_ENC_BASE64:
        return base64_decode(&r, out);
    default:
        return 0;
    }
}

/* ---- names ---- */

static bool name_equals(const char *name, const char *lower)
{
    for (; *lower; name++, lower++) {
        unsigned char c = (unsigned char)*name;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)*lower)
            return false;
    }
    return *name == '\0';
}

int eddy_encoding_from_name(const char *name)
{
    /* Node's normalizeEncoding spellings, compared without regard to ASCII case (Node
     * lower-cases; no other character lower-cases into these names). Node's utf16le,
     * ucs2 and base64url exist but eddy has no decoder for them. */
    static const struct {
        const char *name;
        eddy_encoding enc;
    } names[] = {
        {"utf8", EDDY_ENC_UTF8},     {"utf-8", EDDY_ENC_UTF8},    {"ascii", EDDY_ENC_ASCII},
        {"base64", EDDY_ENC_BASE64}, {"hex", EDDY_ENC_HEX},       {"latin1", EDDY_ENC_LATIN1},
        {"binary", EDDY_ENC_LATIN1}, {"buffer", EDDY_ENC_BUFFER},
    };

    if (!name)
        return -EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (name_equals(name, names[i].name))
            return (int)names[i].enc;
    }
    return -EINVAL;
}
#else /* EDDY_NO_ENCODINGS */

int eddy_encoding_from_name(const char *name)
{
    (void)name;
    return -ENOSYS;
}
#endif
