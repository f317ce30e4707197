/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <errno.h>

#include "eddy/common.h"

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

/* getaddrinfo's errors, with Node's names (uv_err_name, and dns's "ENOTFOUND"). */
static const struct {
    int code;
    const char *name;
    const char *message;
} eai_errors[] = {
    {EDDY_EAI_ADDRFAMILY, "EAI_ADDRFAMILY", "address family not supported"},
    {EDDY_EAI_AGAIN, "EAI_AGAIN", "temporary failure"},
    {EDDY_EAI_BADFLAGS, "EAI_BADFLAGS", "bad ai_flags value"},
    {EDDY_EAI_CANCELED, "EAI_CANCELED", "request canceled"},
    {EDDY_EAI_FAIL, "EAI_FAIL", "permanent failure"},
    {EDDY_EAI_FAMILY, "EAI_FAMILY", "ai_family not supported"},
    {EDDY_EAI_MEMORY, "EAI_MEMORY", "out of memory"},
    {EDDY_EAI_NODATA, "ENOTFOUND", "no address"},
    {EDDY_ENOTFOUND, "ENOTFOUND", "unknown node or service"},
    {EDDY_EAI_OVERFLOW, "EAI_OVERFLOW", "argument buffer overflow"},
    {EDDY_EAI_SERVICE, "EAI_SERVICE", "service not available for socket type"},
    {EDDY_EAI_SOCKTYPE, "EAI_SOCKTYPE", "socket type not supported"},
    {EDDY_EAI_BADHINTS, "EAI_BADHINTS", "invalid value for hints"},
    {EDDY_EAI_PROTOCOL, "EAI_PROTOCOL", "resolved protocol is unknown"},
};

static int eai_index(int err)
{
    int code = err > 0 ? -err : err;
    for (size_t i = 0; i < sizeof eai_errors / sizeof eai_errors[0]; i++)
        if (eai_errors[i].code == code)
            return (int)i;
    return -1;
}

/* Some systems define EAGAIN == EWOULDBLOCK and ENOTSUP == EOPNOTSUPP: a switch would
 * reject the duplicates, so the lookup is a loop over a table. */
static const struct {
    int code;
    const char *name;
    const char *message;
} errors[] = {
#define EDDY__ERROR_ROW(code, msg) {code, #code, msg},
    EDDY__ERRORS(EDDY__ERROR_ROW)
#undef EDDY__ERROR_ROW
};

static int error_index(int err)
{
    if (err == INT_MIN)
        return -1; /* -INT_MIN does not exist */
    int code = err < 0 ? -err : err;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == code)
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
        return i < 0 ? "UNKNOWN" : eai_errors[i].name;
    }
    return errors[i].name;
}

const char *eddy_strerror(int err)
{
    if (err == 0)
        return "success";
    int i = error_index(err);
    if (i < 0) {
        i = eai_index(err);
        return i < 0 ? "unknown error" : eai_errors[i].message;
    }
    return errors[i].message;
}
