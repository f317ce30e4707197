/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "eddy/common.h"
#include "text.h"

/* Our own table rather than strerror(3): strerror is not thread-safe everywhere, and the
 * messages stay the same on every libc. */
#define EDDY__ERRORS(X)                                                                            \
    X(E2BIG, "argument list too long")                                                             \
    X(EACCES, "permission denied")                                                                 \
    X(EADDRINUSE, "address already in use")                                                        \
    X(EADDRNOTAVAIL, "address not available")                                                      \
    X(EAFNOSUPPORT, "address family not supported")                                                \
    X(EAGAIN, "resource temporarily unavailable")                                                  \
    X(EALREADY, "connection already in progress")                                                  \
    X(EBADF, "bad file descriptor")                                                                \
    X(EBUSY, "resource busy or locked")                                                            \
    X(ECANCELED, "operation canceled")                                                             \
    X(ECONNABORTED, "software caused connection abort")                                            \
    X(ECONNREFUSED, "connection refused")                                                          \
    X(ECONNRESET, "connection reset by peer")                                                      \
    X(EDESTADDRREQ, "destination address required")                                                \
    X(EEXIST, "file already exists")                                                               \
    X(EFAULT, "bad address in system call argument")                                               \
    X(EFBIG, "file too large")                                                                     \
    X(EHOSTDOWN, "host is down")                                                                   \
    X(EHOSTUNREACH, "host is unreachable")                                                         \
    X(EINPROGRESS, "operation in progress")                                                        \
    X(EINTR, "interrupted system call")                                                            \
    X(EINVAL, "invalid argument")                                                                  \
    X(EIO, "i/o error")                                                                            \
    X(EISCONN, "socket is already connected")                                                      \
    X(EISDIR, "illegal operation on a directory")                                                  \
    X(ELOOP, "too many symbolic links encountered")                                                \
    X(EMFILE, "too many open files")                                                               \
    X(EMSGSIZE, "message too long")                                                                \
    X(ENAMETOOLONG, "name too long")                                                               \
    X(ENETDOWN, "network is down")                                                                 \
    X(ENETUNREACH, "network is unreachable")                                                       \
    X(ENFILE, "file table overflow")                                                               \
    X(ENOBUFS, "no buffer space available")                                                        \
    X(ENODEV, "no such device")                                                                    \
    X(ENOENT, "no such file or directory")                                                         \
    X(ENOMEM, "not enough memory")                                                                 \
    X(ENOSPC, "no space left on device")                                                           \
    X(ENOSYS, "system call not available")                                                         \
    X(ENOTCONN, "socket is not connected")                                                         \
    X(ENOTDIR, "not a directory")                                                                  \
    X(ENOTEMPTY, "directory not empty")                                                            \
    X(ENOTSOCK, "socket operation on non-socket")                                                  \
    X(ENOTSUP, "operation not supported on socket")                                                \
    X(EOVERFLOW, "value too large for defined data type")                                          \
    X(EPERM, "operation not permitted")                                                            \
    X(EPIPE, "broken pipe")                                                                        \
    X(EPROTO, "protocol error")                                                                    \
    X(EPROTONOSUPPORT, "protocol not supported")                                                   \
    X(EPROTOTYPE, "protocol wrong type for socket")                                                \
    X(ERANGE, "result too large")                                                                  \
    X(EROFS, "read-only file system")                                                              \
    X(ESHUTDOWN, "cannot send after transport endpoint shutdown")                                  \
    X(ESPIPE, "invalid seek")                                                                      \
    X(ESRCH, "no such process")                                                                    \
    X(ETIMEDOUT, "connection timed out")                                                           \
    X(ETXTBSY, "text file is busy")                                                                \
    X(EXDEV, "cross-device link not permitted")

/* The EDDY_EAI_* codes (include/eddy/common.h) sit at -3000..-3014: no errno may reach there. */
#define EDDY__ERRNO_BELOW_EAI(code, msg)                                                           \
    _Static_assert((code) > 0 && (code) < 3000, #code " collides with the EDDY_EAI_* codes");
EDDY__ERRORS(EDDY__ERRNO_BELOW_EAI)
#undef EDDY__ERRNO_BELOW_EAI

/* getaddrinfo's errors, with Node's names (uv_err_name, and dns's "ENOTFOUND"), indexed by
 * -3000 - code (-3012 is unused: an empty entry). The tables of this file are strings
 * packed one after another ("A\0B\0..."): no pointer per entry, no relocation. */
static const char eai_names[] = "EAI_ADDRFAMILY\0EAI_AGAIN\0EAI_BADFLAGS\0EAI_CANCELED\0"
                                "EAI_FAIL\0EAI_FAMILY\0EAI_MEMORY\0ENOTFOUND\0ENOTFOUND\0"
                                "EAI_OVERFLOW\0EAI_SERVICE\0EAI_SOCKTYPE\0\0EAI_BADHINTS\0"
                                "EAI_PROTOCOL";
#ifndef EDDY_NO_DIAGNOSTICS_TEXT
static const char eai_messages[] = "address family not supported\0temporary failure\0"
                                   "bad ai_flags value\0request canceled\0permanent failure\0"
                                   "ai_family not supported\0out of memory\0no address\0"
                                   "unknown node or service\0argument buffer overflow\0"
                                   "service not available for socket type\0"
                                   "socket type not supported\0\0invalid value for hints\0"
                                   "resolved protocol is unknown";
#endif
_Static_assert(EDDY_EAI_PROTOCOL == -3014 && EDDY_EAI_ADDRFAMILY == -3000 &&
                   EDDY_ENOTFOUND == -3008 && EDDY_EAI_BADHINTS == -3013,
               "eai_names is indexed by -3000 - code");

/* The i-th string of a packed table. */
static const char *packed_at(const char *table, int i)
{
    while (i-- > 0)
        table += strlen(table) + 1;
    return table;
}

static int eai_index(int err)
{
    int code = err > 0 ? -err : err;
    if (code > EDDY_EAI_ADDRFAMILY || code < EDDY_EAI_PROTOCOL || code == -3012)
        return -1;
    return EDDY_EAI_ADDRFAMILY - code;
}

/* Some systems define EAGAIN == EWOULDBLOCK and ENOTSUP == EOPNOTSUPP: a switch would
 * reject the duplicates, so the lookup is a loop over a table. */
static const unsigned short error_codes[] = {
#define EDDY__ERROR_CODE(code, msg) code,
    EDDY__ERRORS(EDDY__ERROR_CODE)
#undef EDDY__ERROR_CODE
};
static const char error_names[] = {
#define EDDY__ERROR_NAME(code, msg) #code "\0"
    EDDY__ERRORS(EDDY__ERROR_NAME)
#undef EDDY__ERROR_NAME
};
#ifndef EDDY_NO_DIAGNOSTICS_TEXT
static const char error_messages[] = {
#define EDDY__ERROR_MESSAGE(code, msg) msg "\0"
    EDDY__ERRORS(EDDY__ERROR_MESSAGE)
#undef EDDY__ERROR_MESSAGE
};
#endif

static int error_index(int err)
{
    if (err == INT_MIN)
        return -1; /* -INT_MIN does not exist */
    int code = err < 0 ? -err : err;
    for (size_t i = 0; i < sizeof error_codes / sizeof error_codes[0]; i++)
        if (error_codes[i] == code)
            return (int)i;
    return -1;
}

const char *eddy_err_name(int err)
{
    if (err == 0)
        return "OK";
    int i = error_index(err);
    if (i < 0) {
        i = eai_index(err);
        return i < 0 ? "UNKNOWN" : packed_at(eai_names, i);
    }
    return packed_at(error_names, i);
}

#ifdef EDDY_NO_DIAGNOSTICS_TEXT
/* No message table: the name stands in for the message ("ECONNRESET"; "OK" for 0,
 * "UNKNOWN" for a code eddy does not know). */
const char *eddy_strerror(int err)
{
    return eddy_err_name(err);
}
#else
const char *eddy_strerror(int err)
{
    if (err == 0)
        return "success";
    int i = error_index(err);
    if (i < 0) {
        i = eai_index(err);
        return i < 0 ? "unknown error" : packed_at(eai_messages, i);
    }
    return packed_at(error_messages, i);
}
#endif

/* ---- diagnostics text (common/text.h) ---- */

void eddy__text_init(eddy__text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    buf[0] = '\0';
}

void eddy__text_str(eddy__text *t, const char *s)
{
    if (!s)
        return;
    while (*s && t->len + 1 < t->cap)
        t->buf[t->len++] = *s++;
    t->buf[t->len] = '\0';
}

void eddy__text_uint(eddy__text *t, unsigned long long n)
{
    char digits[24];
    size_t i = sizeof digits;
    digits[--i] = '\0';
    do
        digits[--i] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    eddy__text_str(t, digits + i);
}

void eddy__text_unhandled(eddy__text *t, const char *what, int code, const char *call)
{
    eddy__text_str(t, "eddy: unhandled 'error' ");
    eddy__text_str(t, what ? "on a " : "event");
    eddy__text_str(t, what);
    if (code != 0) {
        eddy__text_str(t, ": ");
        eddy__text_str(t, eddy_err_name(code));
        eddy__text_str(t, " (");
        eddy__text_str(t, eddy_strerror(code));
        eddy__text_str(t, ")");
    }
    if (call) {
        eddy__text_str(t, " [");
        eddy__text_str(t, call);
        eddy__text_str(t, "]");
    }
}

void eddy__text_to_stderr(const char *s)
{
    struct iovec iov[2] = {{(void *)s, strlen(s)}, {(void *)"\n", 1}};
    int i = 0;
    while (i < 2) {
        ssize_t n = writev(2, iov + i, 2 - i);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        while (i < 2 && (size_t)n >= iov[i].iov_len)
            n -= (ssize_t)iov[i++].iov_len;
        if (i < 2) {
            iov[i].iov_base = (char *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
}
