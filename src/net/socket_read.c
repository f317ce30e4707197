/* net.Socket: the read path. One read per readiness into the loop's shared buffer (its
 * read_buffer_size option; several reads while the kernel fills it, up to
 * READS_PER_WAKEUP), 'data' with bytes or decoded text, descriptors received over UNIX
 * sockets, and the peer's FIN. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/compiler.h"
#include "net_internal.h"
#include "sys.h"

/* With no UNIX sockets (a wrapped UNIX fd reads with read(2) then, no descriptors), no
 * decoding and no onread (eddy/config.h), every socket reads as the hot path does: the
 * general read loop is not built. */
#if defined(EDDY_NO_UNIX) && defined(EDDY_NO_FD_PASSING) && defined(EDDY_NO_ENCODINGS) &&       \
    defined(EDDY_NO_ONREAD)
#define PLAIN_READS_ONLY 1
#endif

/* ---- reading ---- */

static void emit_bytes(eddy_socket *s, const void *bytes, size_t len)
{
    eddy_event ev;
    ev.u.data.bytes = bytes;
    ev.u.data.len = len;
    eddy__emit_id(&s->emitter, EDDY__EV_DATA, &ev); /* fills name and target */
}

static void emit_data(eddy_socket *s, const unsigned char *bytes, size_t len)
{
    if (!socket_has(s, S_DECODING)) {
        emit_bytes(s, bytes, len);
        return;
    }
    char *text = eddy__loop_scratch(s->io.loop, 1, eddy__decoder_bound(&s->rare->decoder, len) + 1);
    if (!text) {
        eddy__socket_destroy(s, -ENOMEM, CALL_READ);
        return;
    }
    size_t n = eddy__decoder_write(&s->rare->decoder, bytes, len, text);
    if (n == 0)
        return; /* only part of a character so far */
    emit_bytes(s, text, n);
}

static void on_eof(eddy_socket *s)
{
    bool our_fin_first = socket_has(s, S_SHUT); /* then both directions are done now */
    s->flags |= S_READ_ENDED;
    eddy__socket_sync_reading(s);
    if (socket_has(s, S_DECODING)) {
        char tail[16];
        size_t n = eddy__decoder_end(&s->rare->decoder, tail);
        if (n) {
            eddy_event ev = {0};
            ev.u.data.bytes = tail;
            ev.u.data.len = n;
            eddy__emit_id(&s->emitter, EDDY__EV_DATA, &ev);
            if (socket_has(s, S_DESTROYED))
                return;
        }
    }
    eddy__emit_id(&s->emitter, EDDY__EV_END, NULL);
    if (socket_has(s, S_DESTROYED))
        return;
    /* Without allow_half_open our side ends too, once its queue is flushed (the socket
     * then closes after its 'finish', from the tick). If our FIN went out before the
     * peer's, both directions are done now. */
    if (!socket_has(s, S_HALF_OPEN))
        eddy_socket_end(s, NULL, 0);
    if (our_fin_first && !socket_has(s, S_DESTROYED))
        eddy__socket_maybe_close(s);
}

/* Descriptors passed over a UNIX socket arrive with the bytes (SCM_RIGHTS). Room for
 * as many as Linux sends in one message (SCM_MAX_FD, 253): with less, the kernel drops
 * (closes) those that do not fit and sets MSG_CTRUNC. Should that still happen (several
 * messages' descriptors in one read on another kernel), *truncated says so, and the
 * socket fails instead of losing descriptors without a word. */
enum { FDS_PER_MESSAGE = 253 };

#ifdef EDDY_NO_FD_PASSING
/* No 'fd' events: a plain read (descriptors a peer sends anyway are closed by the
 * kernel, never received). */
static ssize_t read_unix(eddy_socket *s, unsigned char *buf, size_t cap, bool *truncated)
{
    (void)truncated;
    return read(s->io.fd, buf, cap);
}
#else
static ssize_t read_unix(eddy_socket *s, unsigned char *buf, size_t cap, bool *truncated)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int) * FDS_PER_MESSAGE)];
    } control;
    struct iovec iov = {buf, cap};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(s->io.fd, &msg, EDDY__MSG_CMSG_CLOEXEC);
    if (n < 0)
        return n;
    if (msg.msg_flags & MSG_CTRUNC)
        *truncated = true;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = eddy__sys_cmsg_next(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)(void *)CMSG_DATA(c);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, &fds[i], sizeof fd);
            eddy__sys_received_fd(fd);
            eddy_event ev = {0};
            ev.u.fd = fd;
            /* The listener owns the descriptor; with nobody to take it, close it. */
            if (socket_has(s, S_DESTROYED) || eddy__emit_id(&s->emitter, EDDY__EV_FD, &ev) <= 0)
                close(fd);
        }
    }
    return n;
}
#endif

#ifndef EDDY_NO_ONREAD
/* Node's onread: the user's buffer for the next read (asked before every read, as
 * libuv asks its alloc callback), and the callback instead of 'data'. */
static unsigned char *onread_buffer(eddy_socket *s, const eddy_onread *o, size_t *cap)
{
    if (!o->get_buffer) {
        *cap = o->size;
        return o->buffer;
    }
    *cap = 0;
    return o->get_buffer(s, cap, o->ctx);
}

static void onread_deliver(eddy_socket *s, const eddy_onread *o, unsigned char *buf, size_t n)
{
    if (!o->callback(s, n, buf, o->ctx) && !socket_has(s, S_DESTROYED))
        eddy_socket_pause(s); /* Node: returning false pauses the socket */
}
#else
/* Never called: no socket has an onread (eddy_socket_set_onread is -ENOSYS). */
#define onread_buffer(s, o, cap) ((void)(s), (void)(o), (void)(cap), (unsigned char *)NULL)
#define onread_deliver(s, o, buf, n) ((void)(s), (void)(o), (void)(buf), (void)(n))
#endif

/* Reads while the kernel fills the buffer, READS_PER_WAKEUP times at most. A template:
 * `plain` is a constant at each call site, and the plain instance (a TCP or pipe socket,
 * no onread, no decoding: 'data' of bytes from the loop's buffer, the hot path) is
 * compiled without the tests that only the general one needs. */
static EDDY__ALWAYS_INLINE void read_loop(eddy_socket *s, const eddy_onread *onread, bool plain)
{
    size_t cap = 0; /* the loop's read_buffer_size option, or the onread buffer's */
    unsigned char *buf = onread ? NULL : eddy__loop_read_buffer(s->io.loop, &cap);
    if (!onread && !buf) {
        eddy__socket_destroy(s, -ENOMEM, CALL_READ);
        return;
    }
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        if (!plain && onread && (!(buf = onread_buffer(s, onread, &cap)) || cap == 0)) {
            eddy__socket_destroy(s, -ENOBUFS, CALL_READ); /* no buffer to read into */
            return;
        }
        bool truncated = false;
        ssize_t n = !plain && socket_has(s, S_UNIX) ? read_unix(s, buf, cap, &truncated)
                                                    : read(s->io.fd, buf, cap);
        if (n > 0) {
            s->bytes_read += (uint64_t)n;
            socket_touch(s);
            if (plain)
                emit_bytes(s, buf, (size_t)n);
            else if (onread)
                onread_deliver(s, onread, buf, (size_t)n);
            else
                emit_data(s, buf, (size_t)n);
            if (!plain && truncated) {
                eddy__socket_destroy(s, -EMSGSIZE, CALL_READ);
                return;
            }
            /* The listener may have paused, ended or destroyed the socket. */
            if ((size_t)n < cap || socket_has(s, S_DESTROYED | S_PAUSED))
                return;
            continue;
        }
        if (n == 0) {
            on_eof(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            eddy__socket_destroy(s, -errno, CALL_READ);
        return;
    }
}

#ifdef PLAIN_READS_ONLY
static void socket_read(eddy_socket *s)
{
    read_loop(s, NULL, true);
}
#else
/* The socket's onread, or NULL for 'data' events. */
static const eddy_onread *socket_onread(const eddy_socket *s)
{
#ifdef EDDY_NO_ONREAD
    (void)s;
    return NULL;
#else
    return s->rare && s->rare->onread.callback ? &s->rare->onread : NULL;
#endif
}

static EDDY__NOINLINE void socket_read_general(eddy_socket *s)
{
    read_loop(s, socket_onread(s), false);
}

static void socket_read(eddy_socket *s)
{
    if (socket_has(s, S_UNIX | S_DECODING) || socket_onread(s))
        socket_read_general(s);
    else
        read_loop(s, NULL, true);
}
#endif

/* Readiness of a socket: reading is the hot path, so the dispatch lives with it (the
 * read inlines here). */
void eddy__socket_on_io(eddy__io *io, unsigned revents)
{
    eddy_socket *s = EDDY__CONTAINER_OF(io, eddy_socket, io);
    if (revents & EDDY__IO_FAILED) {
        /* The backend refused to watch the fd (closed behind our back: EBADF). */
        eddy__socket_destroy(s, eddy__io_error(revents), CALL_IO_WATCH);
        return;
    }
    if (socket_has(s, S_CONNECTING)) {
        eddy__socket_finish_connect(s);
        return;
    }
    if (revents & EDDY__READABLE) {
        socket_read(s);
        if (socket_has(s, S_DESTROYED))
            return;
    }
    if ((revents & EDDY__WRITABLE) && s->io.fd >= 0) {
        if (!ring_empty(&s->writes))
            eddy__socket_flush_writes(s);
        else
            eddy__socket_writes_flushed(s);
    }
}

int eddy_socket_set_onread(eddy_socket *s, const eddy_onread *onread)
{
    if (!s)
        return -EINVAL;
#ifdef EDDY_NO_ONREAD
    (void)onread;
    return -ENOSYS;
#else
    if (!onread || !onread->callback) {
        if (s->rare)
            memset(&s->rare->onread, 0, sizeof s->rare->onread);
        return 0;
    }
    if (!onread->get_buffer && (!onread->buffer || onread->size == 0))
        return -EINVAL;
    struct socket_rare *r = eddy__socket_rare(s);
    if (!r)
        return -ENOMEM;
    r->onread = *onread;
    return 0;
#endif
}
