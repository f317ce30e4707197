/* net.Socket: the write queue. A write's data stays in this file: sent straight to the
 * kernel when nothing is queued, else copied into requests (small ones share chunks) that
 * leave together in one sendmsg; callbacks, 'drain', end and the FIN. */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/compiler.h"
#include "net_internal.h"
#include "sys.h"

/* ---- writing ---- */

#ifdef EDDY_NO_CORK
#define socket_corked(s) ((void)(s), false) /* eddy_socket_cork is -ENOSYS */
#else
#define socket_corked(s) ((s)->corked != 0)
#endif

#ifdef EDDY_NO_PIPE_TTY
/* Only sockets are wrapped (eddy/config.h): every write is a send. */
#define socket_not_socket(s) ((void)(s), false)
#define write_not_socket(fd, iov, cnt) ((void)(fd), (void)(iov), (void)(cnt), (ssize_t)-1)
#else
#define socket_not_socket(s) socket_has(s, S_NOT_SOCKET)


/* A wrapped pipe or tty (not a socket): write(2) has no MSG_NOSIGNAL, and a write to a
 * pipe whose reader is gone raises SIGPIPE. SIGPIPE is blocked for this thread around the
 * write, and one the write raised is taken before unblocking (sigwait returns at once for
 * a pending signal): eddy never raises SIGPIPE, whatever the process's disposition. A
 * SIGPIPE that was already pending is left alone. */
static ssize_t write_not_socket(int fd, const struct iovec *iov, int cnt)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    ssize_t n;
    do
        n = writev(fd, iov, cnt);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE)) {
        int sig;
        sigwait(&pipe_set, &sig);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}
#endif

/* Sends what the kernel takes; a NULL iov means the head request alone with its fd. */
static ssize_t send_iov(eddy_socket *s, struct iovec *iov, int iovcnt, int send_fd)
{
    struct msghdr msg = {0};
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)iovcnt;
#ifdef EDDY_NO_FD_PASSING
    (void)send_fd; /* always -1: eddy_socket_write_fd refuses */
    (void)control;
#else
    if (send_fd >= 0) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.space;
        msg.msg_controllen = sizeof control.space;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &send_fd, sizeof send_fd);
    }
#endif
    ssize_t n;
    if (socket_not_socket(s))
        return write_not_socket(s->io.fd, iov, iovcnt);
    /* MSG_NOSIGNAL: a write to a reset connection returns EPIPE instead of raising
     * SIGPIPE, whatever the process's signal disposition. */
    do
        n = sendmsg(s->io.fd, &msg, EDDY__MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

/* The kernel refused the queue's head: its callback gets that error (Node passes it to
 * the write's callback), the writes behind it -ECANCELED. */
/* The queue's head will never be (fully) sent: its callback is due with status. */
static void fail_head(eddy_socket *s, int status)
{
    struct write_req *r = ring_pop(&s->writes);
    if (r->send_fd >= 0 && r->off == 0)
        r->send_fd = -1; /* never sent: the caller still owns it */
    s->queued -= r->len - r->off;
    r->status = status;
    ring_push(&s->done, r);
}

static void write_failed(eddy_socket *s, int err)
{
    if (!ring_empty(&s->writes))
        fail_head(s, err);
    eddy__socket_destroy(s, err, CALL_WRITE);
}

/* The queue emptied: 'drain' if a write asked for it, the FIN if end() was called. */
void eddy__socket_writes_flushed(eddy_socket *s)
{
    eddy__io_stop(&s->io, EDDY__WRITABLE);
    eddy__socket_sync_ref(s);
    if (socket_has(s, S_NEED_DRAIN)) {
        s->flags &= ~S_NEED_DRAIN;
        s->flags |= S_DRAIN_PENDING;
        socket_schedule_tick(s);
    }
    if (socket_has(s, S_END_CALLED) && !socket_has(s, S_SHUT))
        eddy__socket_send_fin(s);
}

/* Writes as much of the queue as the kernel takes, in one sendmsg per IOVS_PER_SEND
 * requests: small writes queued while the kernel was busy leave together. */
void eddy__socket_flush_writes(eddy_socket *s)
{
    while (!ring_empty(&s->writes)) {
        struct iovec iov[IOVS_PER_SEND];
        int cnt = 0;
        int send_fd = -1;
        for (struct write_req *r = ring_first(&s->writes); cnt < IOVS_PER_SEND; r = r->next) {
            if (r->send_fd >= 0 && r->off == 0) {
                if (cnt > 0)
                    break; /* a descriptor travels with its own request's first byte */
                send_fd = r->send_fd;
            }
            iov[cnt].iov_base = r->bytes + r->off;
            iov[cnt].iov_len = r->len - r->off;
            cnt++;
            if (send_fd >= 0 || r == s->writes)
                break; /* its descriptor goes alone; or the ring's last request */
        }
        size_t total = 0;
        for (int i = 0; i < cnt; i++)
            total += iov[i].iov_len;
        ssize_t n = send_iov(s, iov, cnt, send_fd);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                eddy__io_start(&s->io, EDDY__WRITABLE);
                return;
            }
            write_failed(s, -errno);
            return;
        }
        size_t left = (size_t)n;
        s->queued -= left;
        socket_touch(s);
        while (!ring_empty(&s->writes)) {
            struct write_req *r = ring_first(&s->writes);
            size_t rest = r->len - r->off;
            if (r->send_fd >= 0 && r->off == 0 && (left > 0 || rest == 0))
                r->send_fd = -1; /* passed to the peer */
            if (left < rest) {
                r->off += left;
                break;
            }
            left -= rest;
            r->off = r->len;
            ring_pop(&s->writes);
            if (r->cb) {
                r->status = 0;
                ring_push(&s->done, r);
                socket_schedule_tick(s);
            } else {
                eddy__free(r);
            }
            if (left == 0 && rest != 0)
                break;
        }
        if ((size_t)n < total)
            break; /* partial: the kernel is full, wait for writability */
    }
    if (ring_empty(&s->writes))
        eddy__socket_writes_flushed(s);
    else
        eddy__io_start(&s->io, EDDY__WRITABLE);
}

static struct write_req *req_new(size_t len, eddy_write_cb cb, void *ctx)
{
    size_t cap = len < SMALL_WRITE ? CHUNK_SIZE - sizeof(struct write_req) : len;
    if (len == 0)
        cap = 0; /* a callback alone */
    struct write_req *r = eddy__malloc(sizeof *r + cap);
    if (!r)
        return NULL;
    r->next = NULL;
    r->cb = cb;
    r->ctx = ctx;
    r->len = len;
    r->cap = cap;
    r->off = 0;
    r->status = 0;
    r->send_fd = -1;
    return r;
}

/* Write after end or destroy: the data is refused, the callback gets -EPIPE, and an
 * 'error' then 'close' follow from the loop. */
static bool write_after_end(eddy_socket *s, eddy_write_cb cb, void *ctx)
{
    if (cb) {
        struct write_req *r = req_new(0, cb, ctx);
        if (r) {
            r->status = -EPIPE;
            ring_push(&s->done, r);
        }
    }
    if (!socket_has(s, S_DESTROYED))
        eddy__socket_destroy(s, -EPIPE, CALL_WRITE);
    else if (!socket_has(s, S_CLOSE_EMITTED) || cb)
        socket_schedule_tick(s);
    return false;
}

/* A completed write's callback, run from the tick; false on -ENOMEM. */
static bool callback_done(eddy_socket *s, eddy_write_cb cb, void *ctx, int status)
{
    struct write_req *r = req_new(0, cb, ctx);
    if (!r)
        return false;
    r->status = status;
    ring_push(&s->done, r);
    socket_schedule_tick(s);
    return true;
}

/* Appends to the last queued request when it has room: one callback slot per request,
 * so only when at most one of the two has a callback (the earlier callback then runs
 * when the later bytes are written too, still in order). */
static bool append_to_tail(eddy_socket *s, const void *data, size_t len, eddy_write_cb cb,
                           void *ctx)
{
    if (ring_empty(&s->writes))
        return false;
    struct write_req *t = s->writes; /* the last request */
    if (t->send_fd >= 0 || t->cap - t->len < len || (t->cb && cb))
        return false;
    memcpy(t->bytes + t->len, data, len);
    t->len += len;
    if (cb) {
        t->cb = cb;
        t->ctx = ctx;
    }
    return true;
}

enum { NOT_SENT = -2 }; /* queue_write's `tried`: no direct send was made yet */

/* tried: NOT_SENT, or what eddy_socket_write's fast path got from send (errno intact). */
static bool queue_write_tried(eddy_socket *s, const void *data, size_t len, int send_fd,
                              eddy_write_cb cb, void *ctx, ssize_t tried)
{
    if (socket_has(s, S_END_CALLED | S_DESTROYED))
        return write_after_end(s, cb, ctx);
    /* Node's bytesWritten: what write and end accepted, not yet what the kernel took. */
    s->bytes_written += len;
    size_t sent = 0;
    bool was_empty = ring_empty(&s->writes);
    bool idle = socket_has(s, S_CONNECTED) && was_empty && send_fd < 0 && !socket_corked(s);
    /* The first write of an iteration to an idle socket goes straight to the kernel, no
     * copy: a reply costs one syscall. Further writes in the same iteration are held and
     * leave together in one sendmsg when the callback that made them returns. */
    bool hold = (idle && s->direct_write_iteration == (uint32_t)s->io.loop->iteration) ||
                (socket_has(s, S_FLUSH_PENDING) && send_fd < 0);
    if (idle && !hold && len > 0) {
        s->direct_write_iteration = (uint32_t)s->io.loop->iteration;
        ssize_t n = tried;
        if (tried != NOT_SENT) {
            /* the fast path sent already */
        } else if (socket_not_socket(s)) {
            struct iovec one = {(void *)data, len};
            n = write_not_socket(s->io.fd, &one, 1);
        } else {
            do
                n = send(s->io.fd, data, len, EDDY__MSG_NOSIGNAL);
            while (n < 0 && errno == EINTR);
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int err = -errno;
            if (cb)
                callback_done(s, cb, ctx, err);
            write_failed(s, err);
            return false;
        }
        if (n > 0) {
            sent = (size_t)n;
            socket_touch(s);
        }
        if (sent == len) {
            if (cb && !callback_done(s, cb, ctx, 0)) {
                eddy__socket_destroy(s, -ENOMEM, CALL_WRITE);
                return false;
            }
            return s->queued == 0 || s->queued < socket_high_water_mark(s);
        }
    }
    size_t rest = len - sent;
    const unsigned char *bytes = (const unsigned char *)data + sent;
    if (send_fd >= 0 || !append_to_tail(s, bytes, rest, cb, ctx)) {
        struct write_req *r = req_new(rest, cb, ctx);
        if (!r) {
            eddy__socket_destroy(s, -ENOMEM, CALL_WRITE);
            return false;
        }
        if (rest)
            memcpy(r->bytes, bytes, rest);
        r->send_fd = send_fd;
        ring_push(&s->writes, r);
    }
    s->queued += rest;
    if (was_empty)
        eddy__socket_sync_ref(s); /* a paused socket with writes keeps the loop alive */
    if (socket_corked(s)) {
        /* held until uncork */
    } else if (hold && s->queued >= socket_high_water_mark(s) && !(s->io.events & EDDY__WRITABLE)) {
        /* Held writes reached the high-water mark: send them now, so that holding never
         * makes write return false while the kernel has room (once the kernel is full,
         * writability is awaited and this is skipped: no syscall per write). */
        eddy__socket_flush_writes(s);
        if (socket_has(s, S_DESTROYED))
            return false;
    } else if (hold) {
        s->flags |= S_FLUSH_PENDING;
        socket_schedule_tick(s);
    } else if (socket_has(s, S_CONNECTED) && !socket_has(s, S_FLUSH_PENDING)) {
        eddy__io_start(&s->io, EDDY__WRITABLE);
    }
    if (s->queued >= socket_high_water_mark(s)) {
        s->flags |= S_NEED_DRAIN;
        return false;
    }
    return true;
}

static bool queue_write(eddy_socket *s, const void *data, size_t len, int send_fd, eddy_write_cb cb,
                        void *ctx)
{
    return queue_write_tried(s, data, len, send_fd, cb, ctx, NOT_SENT);
}

/* No buffer is that big: a length this large is a caller's bug (a negative length cast
 * to size_t), and copying it would overflow the request's size. */
/* The largest write the queue takes (its byte counts must not overflow). */
#define MAX_WRITE (SIZE_MAX / 2 - sizeof(struct write_req) - CHUNK_SIZE)

static bool length_too_big(size_t len)
{
    return len > MAX_WRITE;
}

/* Every write that is not a direct send: validation, then the queue. Out of line so that
 * eddy_socket_write's direct send saves no register for it. */
static EDDY__NOINLINE bool write_general(eddy_socket *s, const void *data, size_t len,
                                         eddy_write_cb cb, void *ctx)
{
    if (!s || (!data && len) || length_too_big(len))
        return false;
    return queue_write(s, data, len, -1, cb, ctx);
}

static EDDY__NOINLINE bool write_direct_short(eddy_socket *s, const void *data, size_t len,
                                              ssize_t n)
{
    return queue_write_tried(s, data, len, -1, NULL, NULL, n < 0 && errno == EINTR ? NOT_SENT : n);
}

bool eddy_socket_write(eddy_socket *s, const void *data, size_t len, eddy_write_cb cb, void *ctx)
{
    /* The hot path, the reply of a request-response exchange: a connected socket with
     * nothing queued, no callback, the first write of this iteration, 1 byte or more and
     * not too big for the queue (one unsigned comparison: len - 1 wraps for 0). One
     * send; anything else (a partial send, EAGAIN, an error) goes on in the queue with
     * what it got. */
    if (s && data && len - 1 < MAX_WRITE && !cb &&
        (s->flags & (S_CONNECTED | S_END_CALLED | S_DESTROYED | S_FLUSH_PENDING | S_NOT_SOCKET)) ==
            S_CONNECTED &&
        !socket_corked(s) && s->direct_write_iteration != (uint32_t)s->io.loop->iteration &&
        ring_empty(&s->writes)) {
        ssize_t n = send(s->io.fd, data, len, EDDY__MSG_NOSIGNAL);
        if (n != (ssize_t)len)
            return write_direct_short(s, data, len, n);
        s->direct_write_iteration = (uint32_t)s->io.loop->iteration;
        s->bytes_written += len;
        socket_touch(s);
        /* Below the high-water mark, without reading it (a mark other than the default
         * lives in s->rare): the ring was empty and the send took everything, so queued
         * (the bytes in the ring) is 0, below any mark. The test of queued rather than
         * `true`: with the constant, gcc kept it in a callee-saved register across
         * socket_touch's calls, a push and a pop more per write. */
        return s->queued == 0;
    }
    return write_general(s, data, len, cb, ctx);
}

bool eddy_socket_write_fd(eddy_socket *s, const void *data, size_t len, int fd, eddy_write_cb cb,
                          void *ctx)
{
    if (!s || (!data && len) || length_too_big(len))
        return false;
#ifdef EDDY_NO_FD_PASSING
    (void)fd, (void)cb, (void)ctx;
    if (!socket_has(s, S_DESTROYED))
        eddy__socket_destroy(s, -ENOSYS, CALL_WRITE);
    return false;
#else
    if (fd < 0 || !socket_has(s, S_UNIX) || len == 0) {
        /* A descriptor needs a UNIX socket and at least one byte to travel with. */
        if (!socket_has(s, S_DESTROYED))
            eddy__socket_destroy(s, -EINVAL, CALL_WRITE);
        return false;
    }
    return queue_write(s, data, len, fd, cb, ctx);
#endif
}

bool eddy_socket_write_string(eddy_socket *s, const char *str, eddy_encoding enc, eddy_write_cb cb,
                              void *ctx)
{
    if (!s || !str)
        return false;
    return eddy_socket_write_string_len(s, str, strlen(str), enc, cb, ctx);
}

bool eddy_socket_write_string_len(eddy_socket *s, const char *str, size_t slen, eddy_encoding enc,
                                  eddy_write_cb cb, void *ctx)
{
    if (!s || (!str && slen) || length_too_big(slen))
        return false;
    if (!eddy__encoding_valid((int)enc)) {
        if (!socket_has(s, S_DESTROYED))
            eddy__socket_destroy(s, -EINVAL, CALL_WRITE);
        return false;
    }
    if (enc == EDDY_ENC_BUFFER || enc == EDDY_ENC_UTF8)
        return queue_write(s, str, slen, -1, cb, ctx);
#ifdef EDDY_NO_ENCODINGS
    if (!socket_has(s, S_DESTROYED))
        eddy__socket_destroy(s, -ENOSYS, CALL_WRITE);
    return false;
#else
    size_t bound = eddy__encoding_bytes_bound(enc, slen);
    unsigned char small[256];
    unsigned char *bytes = bound <= sizeof small ? small : eddy__malloc(bound);
    if (!bytes) {
        eddy__socket_destroy(s, -ENOMEM, CALL_WRITE);
        return false;
    }
    size_t n = eddy__encoding_to_bytes(enc, str, slen, bytes);
    bool ok = queue_write(s, bytes, n, -1, cb, ctx);
    if (bytes != small)
        eddy__free(bytes);
    return ok;
#endif
}

#ifdef EDDY_NO_CORK
int eddy_socket_cork(eddy_socket *s)
{
    return s ? -ENOSYS : -EINVAL;
}

int eddy_socket_uncork(eddy_socket *s)
{
    return s ? -ENOSYS : -EINVAL;
}
#else
/* The cork came off: what it held leaves now, in one sendmsg when it can. */
static void uncorked(eddy_socket *s)
{
    if (socket_has(s, S_CONNECTED) && !socket_has(s, S_DESTROYED) && !ring_empty(&s->writes))
        eddy__socket_flush_writes(s);
}

int eddy_socket_cork(eddy_socket *s)
{
    if (!s)
        return -EINVAL;
    if (s->corked == UINT8_MAX)
        return -EOVERFLOW;
    s->corked++;
    return 0;
}

int eddy_socket_uncork(eddy_socket *s)
{
    if (!s)
        return -EINVAL;
    if (s->corked && --s->corked == 0)
        uncorked(s);
    return 0;
}
#endif

int eddy_socket_end_cb(eddy_socket *s, const void *data, size_t len, eddy_listener on_finish,
                       void *ctx)
{
    if (!s)
        return -EINVAL;
    if (on_finish && !socket_has(s, S_END_CALLED | S_DESTROYED)) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_FINISH, on_finish, ctx, true);
        if (err < 0)
            return err;
    }
    return eddy_socket_end(s, data, len);
}

int eddy_socket_end(eddy_socket *s, const void *data, size_t len)
{
    if (!s)
        return -EINVAL;
    if (len && (!data || length_too_big(len)))
        return -EINVAL;
    if (socket_has(s, S_END_CALLED | S_DESTROYED))
        return 0;
#ifndef EDDY_NO_CORK
    if (s->corked) {
        s->corked = 0; /* Node: end() uncorks */
        uncorked(s);
    }
#endif
    if (data && len)
        queue_write(s, data, len, -1, NULL, NULL);
    if (socket_has(s, S_DESTROYED))
        return 0;
    s->flags |= S_END_CALLED;
    eddy__socket_sync_ref(s);
    /* Never connected: nothing happens until destroy (Node emits nothing either). */
    if (socket_has(s, S_CONNECTED) && ring_empty(&s->writes))
        eddy__socket_send_fin(s);
    return 0;
}

void eddy__socket_run_write_callbacks(eddy_socket *s)
{
    while (!ring_empty(&s->done)) {
        struct write_req *r = ring_pop(&s->done);
        eddy_write_cb cb = r->cb;
        void *ctx = r->ctx;
        int status = r->status;
        eddy__free(r);
        if (cb)
            cb(s, status, ctx);
    }
}

void eddy__socket_cancel_writes(eddy_socket *s, int status)
{
    while (!ring_empty(&s->writes))
        fail_head(s, status);
}

void eddy__socket_send_fin(eddy_socket *s)
{
    s->flags |= S_SHUT | S_FINISH_PENDING;
    socket_schedule_tick(s);
    eddy__io_stop(&s->io, EDDY__WRITABLE);
    /* With the peer's FIN already read, the socket closes right away, and close(2) sends
     * our FIN itself (nothing unread, so no reset): no shutdown(2) needed. ENOTCONN from
     * shutdown: the peer reset the connection; the read side reports it. */
    if (!socket_has(s, S_READ_ENDED))
        shutdown(s->io.fd, SHUT_WR);
    /* With the peer's FIN already in, both directions are done: the socket closes, but
     * after 'finish' (Node destroys it only then), from the tick. */
    if (!socket_has(s, S_READ_ENDED))
        eddy__socket_maybe_close(s);
}
