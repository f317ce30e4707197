/* Streaming decoders (bytes to text, Node's StringDecoder) and the conversion of strings
 * to bytes (Node's Buffer.from(str, enc)). No allocation: callers size the output with the
 * bound functions. */
#ifndef EDDY_NET_ENCODING_H
#define EDDY_NET_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

#include "eddy/net.h"

typedef struct eddy__decoder {
    eddy_encoding enc;
    unsigned char held[4]; /* bytes of an unfinished character or base64 quantum */
    unsigned char nheld;
    unsigned char need; /* utf8: total length of the held character; base64: 3 */
} eddy__decoder;

/* True for the values of eddy_encoding (for checking what a user passes). */
#ifdef EDDY_NO_ENCODINGS
/* Bytes only (eddy/config.h): encoding.c is compiled out, no decoder ever holds or
 * converts anything, and the callers refuse every encoding but EDDY_ENC_BUFFER (and
 * EDDY_ENC_UTF8 for writes, which is the bytes as they are) with -ENOSYS. These stand-ins
 * keep the callers' code unchanged and let the compiler drop the decoding branches. */
static inline bool eddy__encoding_valid(int enc)
{
    return enc >= EDDY_ENC_BUFFER && enc <= EDDY_ENC_LATIN1;
}
static inline void eddy__decoder_init(eddy__decoder *d, eddy_encoding enc)
{
    d->enc = enc;
    d->nheld = d->need = 0;
}
static inline size_t eddy__decoder_bound(const eddy__decoder *d, size_t len)
{
    (void)d;
    return len;
}
static inline size_t eddy__decoder_write(eddy__decoder *d, const unsigned char *in, size_t len,
                                         char *out)
{
    (void)d, (void)in, (void)len, (void)out;
    return 0;
}
static inline size_t eddy__decoder_end(eddy__decoder *d, char *out)
{
    (void)d, (void)out;
    return 0;
}
static inline size_t eddy__encoding_bytes_bound(eddy_encoding enc, size_t slen)
{
    (void)enc;
    return slen;
}
static inline size_t eddy__encoding_to_bytes(eddy_encoding enc, const char *str, size_t slen,
                                             unsigned char *out)
{
    (void)enc, (void)str, (void)slen, (void)out;
    return 0;
}
#else
bool eddy__encoding_valid(int enc);

/* An encoding that is not an eddy_encoding value decodes like EDDY_ENC_BUFFER. */
void eddy__decoder_init(eddy__decoder *d, eddy_encoding enc);

/* The most text bytes (NUL excluded) that eddy__decoder_write can produce from len more
 * input bytes, counting what the decoder holds. */
size_t eddy__decoder_bound(const eddy__decoder *d, size_t len);

/* Decodes len bytes into out (at least bound + 1 bytes), NUL-terminates, returns the text
 * length (0: nothing to deliver yet). Bytes of an incomplete character are held. */
size_t eddy__decoder_write(eddy__decoder *d, const unsigned char *in, size_t len, char *out);

/* Flushes what is held at end of stream (utf8: U+FFFD as Node does; base64: padded
 * quantum) into out (at least 16 bytes), NUL-terminated; returns the length. */
size_t eddy__decoder_end(eddy__decoder *d, char *out);

/* The most bytes eddy__encoding_to_bytes can produce from a string of slen bytes. */
size_t eddy__encoding_bytes_bound(eddy_encoding enc, size_t slen);

/* Buffer.from(str, enc) for a UTF-8 C string of slen bytes: utf8 as is; ascii and
 * latin1 one byte per character (its low 8 bits); base64 (also url-safe) and hex decoded
 * leniently as Node does. Like Node, "character" means UTF-16 code unit (U+1F600 gives two
 * bytes) and invalid UTF-8 reads as U+FFFD. Returns the byte count written to out. */
size_t eddy__encoding_to_bytes(eddy_encoding enc, const char *str, size_t slen, unsigned char *out);
#endif

#endif
