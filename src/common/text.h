/* Diagnostics text without stdio: a line built in a caller's buffer, and written to stderr
 * with write(2). The library never calls the printf family (firmware libcs often lack it,
 * or pull in kilobytes with it). Implemented in error.c. */
#ifndef EDDY_COMMON_TEXT_H
#define EDDY_COMMON_TEXT_H

#include <stddef.h>

/* A line under construction. Appends that do not fit are cut (the text stays
 * NUL-terminated); a diagnostic line is never longer than its buffer. */
typedef struct {
    char *buf;
    size_t cap; /* > 0 */
    size_t len;
} eddy__text;

void eddy__text_init(eddy__text *t, char *buf, size_t cap);
void eddy__text_str(eddy__text *t, const char *s); /* NULL appends nothing */
void eddy__text_uint(eddy__text *t, unsigned long long n);

/* The line of an 'error' nobody listens to, one builder for every object:
 *   eddy: unhandled 'error' event: ECONNRESET (connection reset by peer) [read]
 * (what NULL), or "... 'error' on a socket: ..." (what "socket"). The name and message
 * part is left out when code is 0, the call part when call is NULL. */
void eddy__text_unhandled(eddy__text *t, const char *what, int code, const char *call);

/* Writes s and a newline to fd 2 (whole, retrying short writes and EINTR; errors are
 * ignored: there is nowhere left to report them). */
void eddy__text_to_stderr(const char *s);

#endif
