/* net.Socket.
 *
 * Life of a socket: created (by eddy_socket_new, a connect, or an accept), then
 * connecting, connected, possibly half-closed in either direction, then destroyed: its
 * I/O stops at once, 'error' (if any) and 'close' are emitted from the loop's pending
 * phase, never from inside the call that destroyed it, and the fd is closed right after
 * 'close' (so addresses stay readable there without a getsockname per socket). The memory goes in
 * the loop's release phase after 'close' returned: a listener can destroy its own socket, or any
 * other, and no callback of the iteration sees freed memory.
 *
 * Hot path (an echo): readiness, one read into the loop's shared buffer, 'data', and the
 * reply's write goes straight to the kernel when nothing is queued: no allocation, no
 * copy, no epoll_ctl. Only what the kernel does not take is copied into a queue; queued
 * writes go out together in one sendmsg (coalesced) when the socket is writable again.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "encoding.h"
#include "net_internal.h"

enum {
    S_CONNECTING = 1u << 0,
    S_CONNECTED = 1u << 1,
    S_READ_ENDED = 1u << 2, /* the peer's FIN was seen */
    S_END_CALLED = 1u << 3, /* our side takes no more writes */
    S_SHUT = 1u << 4,       /* our FIN was sent */
    S_DESTROYED = 1u << 5,  /* fd closed, 'close' pending or emitted */
    S_CLOSE_EMITTED = 1u << 6,
    S_PAUSED = 1u << 7,
    S_REFERENCED = 1u << 8,
    S_HOLDS_REF = 1u << 9,   /* counted in the loop's active references */
    S_NEED_DRAIN = 1u << 10, /* a write returned false: 'drain' when the queue empties */
    S_DRAIN_PENDING = 1u << 11,
    S_CONNECT_PENDING = 1u << 12,
    S_HALF_OPEN = 1u << 13,
    S_NO_DELAY = 1u << 14,
    S_KEEPALIVE = 1u << 15,
    S_DECODING = 1u << 16,
    S_UNIX = 1u << 17,
    S_LOCAL_CACHED = 1u << 18,
    S_PEER_CACHED = 1u << 19,
    S_FLUSH_PENDING = 1u << 20, /* writes held back during a callback: sent by the tick */
};

enum {
    DEFAULT_HIGH_WATER_MARK = 16 * 1024,
    READ_BUFFER_SIZE = 64 * 1024,
    READS_PER_WAKEUP = 8, /* a fast sender cannot starve the other sockets */
    IOVS_PER_SEND = 64,
    /* Writes smaller than this are copied into shared chunks of this size when queued,
     * so a burst of small writes costs a memcpy each, not an allocation each. */
    SMALL_WRITE = 1024,
    CHUNK_SIZE = 4096,
};

struct write_req {
    eddy__queue node;
    eddy_write_cb cb;
    void *ctx;
    size_t len, off;
    size_t cap; /* room in bytes[]: later small writes are appended to the queue's tail */
    int status;
    int send_fd; /* -1, or a descriptor to pass with the first byte */
    unsigned char bytes[];
};

/* The idle timeout, allocated by the first set_timeout: most sockets never have one. */
struct socket_idle {
    struct eddy_timer timer;
    uint64_t timeout_ns; /* 0: off */
    uint64_t last_active_ns;
};

/* Kept small: a server holds one per connection (320 bytes before this layout). */
struct eddy_socket {
    eddy_emitter emitter; /* first: eddy_emitter_of(socket) */
    eddy__io io;          /* io.loop is the socket's loop */
    eddy_server *server;  /* the server that accepted it, or NULL */
    uint32_t flags;
    int error;
    uint32_t high_water_mark;
    uint32_t direct_write_iteration; /* low bits of the iteration of the last direct write */
    size_t queued;                   /* bytes in writes */
    eddy__queue writes;              /* not yet fully taken by the kernel */
    eddy__queue done;                /* taken (or failed): callbacks due */
    uint64_t bytes_read, bytes_written;
    eddy__deferred tick;
    struct socket_idle *idle;
    uint32_t keepalive_s;
    int closing_fd;     /* a destroyed socket's fd, closed after its 'close' listeners ran */
    uint8_t error_call; /* index in call_names */
    /* Cached for reading in 'close'. IP only: UNIX sockets ask the kernel while open. */
    uint8_t peer_len, local_len;
    eddy__decoder decoder;
    eddy__inaddr peer, local;
};

enum { CALL_NONE, CALL_CONNECT, CALL_READ, CALL_WRITE, CALL_SET_TIMEOUT, CALL_IO_WATCH };
static const char *const call_names[] = {NULL, "connect", "read", "write", "setTimeout", NULL};

static const char *call_name(uint8_t call)
{
    /* CALL_IO_WATCH: the backend's call ("epoll_ctl"), known to the loop only */
    return call == CALL_IO_WATCH ? eddy__io_failed_call() : call_names[call];
}

static void socket_tick(eddy__deferred *d);
static void flush_writes(eddy_socket *s);
static void socket_on_io(eddy__io *io, unsigned revents);
static void socket_destroy(eddy_socket *s, int err, uint8_t call);

/* ---- small helpers ---- */

static bool has(const eddy_socket *s, uint32_t f)
{
    return (s->flags & f) != 0;
}

/* Keeps an IPv4 or IPv6 address in the socket's compact form. */
static bool cache_address(eddy__inaddr *dst, uint8_t *dst_len, const eddy__sockaddr *src,
                          socklen_t len)
{
    if (len > sizeof *dst || (src->sa.sa_family != AF_INET && src->sa.sa_family != AF_INET6))
        return false;
    memcpy(dst, src, len);
    *dst_len = (uint8_t)len;
    return true;
}

/* The fd, also while a destroyed socket waits for its 'close' to be emitted. */
static int socket_fd(const eddy_socket *s)
{
    return s->io.fd >= 0 ? s->io.fd : s->closing_fd;
}

static void schedule_tick(eddy_socket *s)
{
    eddy__defer(s->io.loop, &s->tick);
}

/* An open socket (connecting or connected, not destroyed) that is referenced keeps the
 * loop alive. */
static void sync_ref(eddy_socket *s)
{
    bool want = has(s, S_REFERENCED) && s->io.fd >= 0 && !has(s, S_DESTROYED);
    if (want == has(s, S_HOLDS_REF))
        return;
    if (want) {
        eddy__loop_ref(s->io.loop);
        s->flags |= S_HOLDS_REF;
    } else {
        eddy__loop_unref(s->io.loop);
        s->flags &= ~S_HOLDS_REF;
    }
}

static void sync_reading(eddy_socket *s)
{
    if (has(s, S_CONNECTED) && !has(s, S_PAUSED | S_READ_ENDED | S_DESTROYED))
        eddy__io_start(&s->io, EDDY__READABLE);
    else if (s->io.fd >= 0)
        eddy__io_stop(&s->io, EDDY__READABLE);
}

static void socket_uncaught(const eddy_event *ev, void *ctx)
{
    eddy_socket *s = ctx;
    if (!eddy__uncaught_to_hook(s->io.loop, ev, "socket"))
        eddy_socket_destroy(s);
}

static void emit_error(eddy_socket *s, int code, const char *syscall)
{
    eddy_event ev = {0};
    ev.u.error.code = code;
    ev.u.error.syscall = syscall;
    eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
}

/* ---- the idle timer ----
 * Activity only stores the loop's time in last_active_ns: no heap operation per read or
 * write. When the timer fires, it checks whether the socket was really idle for the
 * whole period and, if not, sleeps again until the new deadline. */

static void idle_fire(void *arg);

/* The idle timeout is the only defence against a peer that goes silent: when its timer
 * cannot be queued again (the heap cannot grow), the socket fails with 'error' instead
 * of silently never timing out. */
static void idle_restart(eddy_socket *s, uint64_t due)
{
    if (eddy__timer_start_at(&s->idle->timer, due, idle_fire, s) < 0)
        socket_destroy(s, -ENOMEM, CALL_SET_TIMEOUT);
}

static void idle_fire(void *arg)
{
    eddy_socket *s = arg;
    struct socket_idle *idle = s->idle;
    if (has(s, S_DESTROYED) || idle->timeout_ns == 0)
        return;
    uint64_t due = idle->last_active_ns + idle->timeout_ns;
    if (due > s->io.loop->now_ns) {
        idle_restart(s, due);
        return;
    }
    /* Once per idle period: the timer stays off until the next activity. */
    eddy__emit_id(&s->emitter, EDDY__EV_TIMEOUT, NULL);
}

static void touch(eddy_socket *s)
{
    struct socket_idle *idle = s->idle;
    if (!idle)
        return;
    idle->last_active_ns = s->io.loop->now_ns;
    if (idle->timeout_ns && !eddy__timer_active(&idle->timer) && !has(s, S_DESTROYED))
        idle_restart(s, idle->last_active_ns + idle->timeout_ns);
}

/* ---- creation and release ---- */

static uint32_t clamp_u32(size_t n)
{
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static eddy_socket *socket_alloc(eddy_loop *loop)
{
    eddy_socket *s = eddy__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    eddy__emitter_init(&s->emitter, s, socket_uncaught, s);
    eddy__io_init(&s->io, loop, -1, socket_on_io);
    s->flags = S_REFERENCED;
    s->closing_fd = -1;
    s->high_water_mark = DEFAULT_HIGH_WATER_MARK;
    eddy__queue_init(&s->writes);
    eddy__queue_init(&s->done);
    eddy__deferred_init(&s->tick, socket_tick);
    eddy__decoder_init(&s->decoder, EDDY_ENC_BUFFER);
    eddy__handle_add(loop);
    return s;
}

static void run_write_callbacks(eddy_socket *s)
{
    while (!eddy__queue_empty(&s->done)) {
        struct write_req *r = EDDY__CONTAINER_OF(s->done.next, struct write_req, node);
        eddy__queue_remove(&r->node);
        eddy_write_cb cb = r->cb;
        void *ctx = r->ctx;
        int status = r->status;
        eddy__free(r);
        if (cb)
            cb(s, status, ctx);
    }
}

static void socket_release(eddy__deferred *d)
{
    eddy_socket *s = EDDY__CONTAINER_OF(d, eddy_socket, tick);
    run_write_callbacks(s); /* those queued by 'close' listeners */
    eddy__emitter_dispose(&s->emitter);
    eddy__handle_remove(s->io.loop);
    eddy__free(s->idle);
    eddy__free(s);
}

/* TCP_NODELAY as the flags say; 0 or -errno. Nothing to do before there is an fd (it
 * is applied on connect) or on a UNIX socket. */
static int apply_no_delay(eddy_socket *s)
{
    if (s->io.fd < 0 || has(s, S_UNIX))
        return 0;
    int v = has(s, S_NO_DELAY);
    return setsockopt(s->io.fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0 ? -errno : 0;
}

static int apply_keep_alive(eddy_socket *s)
{
    if (s->io.fd < 0 || has(s, S_UNIX))
        return 0;
    int v = has(s, S_KEEPALIVE);
    if (setsockopt(s->io.fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v) < 0)
        return -errno;
#ifdef TCP_KEEPIDLE
    if (v && s->keepalive_s) {
        int secs = (int)s->keepalive_s;
        if (setsockopt(s->io.fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs) < 0)
            return -errno;
    }
#endif
    return 0;
}

/* Options set before the connection existed. */
static void apply_options(eddy_socket *s)
{
    if (has(s, S_NO_DELAY))
        apply_no_delay(s);
    if (has(s, S_KEEPALIVE))
        apply_keep_alive(s);
}

eddy_socket *eddy__socket_accepted(eddy_server *server, int fd, const eddy__sockaddr *peer,
                                   socklen_t peer_len, const eddy_server_options *opts)
{
    eddy_loop *loop = eddy__server_loop(server);
    eddy_socket *s = socket_alloc(loop);
    if (!s)
        return NULL;
    s->server = server;
    s->io.fd = fd;
    s->flags |= S_CONNECTED;
    if (opts->allow_half_open)
        s->flags |= S_HALF_OPEN;
    if (opts->pause_on_connect)
        s->flags |= S_PAUSED;
    if (opts->high_water_mark)
        s->high_water_mark = clamp_u32(opts->high_water_mark);
    if (peer->sa.sa_family == AF_UNIX) {
        s->flags |= S_UNIX;
    } else {
        cache_address(&s->peer, &s->peer_len, peer, peer_len);
        /* Our end of an accepted connection is the server's address, unless the server
         * listens on a wildcard: then destroy asks the kernel (getsockname). */
        eddy__sockaddr local;
        socklen_t local_len;
        if (eddy__server_specific_address(server, &local, &local_len) &&
            cache_address(&s->local, &s->local_len, &local, local_len))
            s->flags |= S_LOCAL_CACHED;
    }
    if (s->peer_len)
        s->flags |= S_PEER_CACHED;
    sync_reading(s);
    sync_ref(s);
    return s;
}

eddy_socket *eddy_socket_new(eddy_loop *loop, const eddy_socket_options *opts)
{
    if (!loop)
        return NULL;
    int fd = opts ? opts->fd : -1;
    if (fd >= 0) {
        int type;
        socklen_t tlen = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM)
            return NULL;
        if (eddy__fd_prepare(fd) < 0)
            return NULL;
    }
    eddy_socket *s = socket_alloc(loop);
    if (!s)
        return NULL;
    if (opts) {
        if (opts->allow_half_open)
            s->flags |= S_HALF_OPEN;
        if (opts->high_water_mark)
            s->high_water_mark = clamp_u32(opts->high_water_mark);
        if (opts->type && strcmp(opts->type, "unix") == 0)
            s->flags |= S_UNIX;
    }
    if (fd >= 0) {
        s->io.fd = fd;
        eddy__sockaddr local;
        socklen_t len = sizeof local;
        if (getsockname(fd, &local.sa, &len) == 0 && local.sa.sa_family == AF_UNIX)
            s->flags |= S_UNIX;
        s->flags |= S_CONNECTED;
        sync_reading(s);
        sync_ref(s);
    }
    return s;
}

/* ---- connecting ---- */

static void socket_connected(eddy_socket *s)
{
    s->flags &= ~S_CONNECTING;
    s->flags |= S_CONNECTED;
    if (s->peer_len)
        s->flags |= S_PEER_CACHED; /* Node: remoteAddress is undefined until 'connect' */
    touch(s);
    sync_reading(s);
    if (!eddy__queue_empty(&s->writes))
        eddy__io_start(&s->io, EDDY__WRITABLE);
    else
        eddy__io_stop(&s->io, EDDY__WRITABLE);
    eddy__emit_id(&s->emitter, EDDY__EV_CONNECT, NULL);
    /* An end() made before the connection with nothing to flush: send the FIN now. */
    if (has(s, S_END_CALLED) && !has(s, S_DESTROYED | S_SHUT) && eddy__queue_empty(&s->writes))
        eddy__io_start(&s->io, EDDY__WRITABLE);
}

static void finish_connect(eddy_socket *s)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    if (err) {
        socket_destroy(s, -err, CALL_CONNECT);
        return;
    }
    socket_connected(s);
}

static int socket_connect_addr(eddy_socket *s, const eddy__sockaddr *addr, socklen_t len,
                               eddy_listener on_connect, void *ctx)
{
    if (has(s, S_CONNECTING | S_CONNECTED | S_DESTROYED) || s->io.fd >= 0)
        return -EINVAL;
    if (on_connect) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_CONNECT, on_connect, ctx, true);
        if (err < 0)
            return err;
    }
    s->flags |= S_CONNECTING;
    if (addr->sa.sa_family == AF_UNIX)
        s->flags |= S_UNIX;
    else
        cache_address(&s->peer, &s->peer_len, addr, len); /* readable once connected */
    int fd = eddy__sys_socket(addr->sa.sa_family);
    if (fd < 0) {
        /* EMFILE and friends: an 'error' event like every other connect failure */
        socket_destroy(s, -errno, CALL_CONNECT);
        return 0;
    }
    s->io.fd = fd;
    sync_ref(s);
    apply_options(s);
    int r;
    do
        r = connect(fd, &addr->sa, len);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        /* Done at once (UNIX sockets): 'connect' still comes from the loop. */
        s->flags &= ~S_CONNECTING;
        s->flags |= S_CONNECTED | S_CONNECT_PENDING;
        schedule_tick(s);
        return 0;
    }
    if (errno == EINPROGRESS || errno == EAGAIN) {
        eddy__io_start(&s->io, EDDY__WRITABLE);
        return 0;
    }
    socket_destroy(s, -errno, CALL_CONNECT);
    return 0;
}

int eddy_socket_connect(eddy_socket *s, int port, const char *host, eddy_listener on_connect,
                        void *ctx)
{
    if (!s || port <= 0 || port > 65535)
        return -EINVAL;
    eddy__sockaddr addr;
    socklen_t len;
    int err = eddy__sockaddr_from_host(&addr, &len, host, port, false, false);
    if (err < 0)
        return err;
    return socket_connect_addr(s, &addr, len, on_connect, ctx);
}

int eddy_socket_connect_path(eddy_socket *s, const char *path, eddy_listener on_connect, void *ctx)
{
    if (!s)
        return -EINVAL;
    eddy__sockaddr addr;
    socklen_t len;
    int err = eddy__sockaddr_from_path(&addr, &len, path);
    if (err < 0)
        return err;
    return socket_connect_addr(s, &addr, len, on_connect, ctx);
}

static eddy_socket *connect_new(eddy_loop *loop, const eddy__sockaddr *addr, socklen_t len,
                                eddy_listener on_connect, void *ctx)
{
    eddy_socket *s = socket_alloc(loop);
    if (!s)
        return NULL;
    if (socket_connect_addr(s, addr, len, on_connect, ctx) < 0) {
        socket_release(&s->tick);
        return NULL;
    }
    return s;
}

eddy_socket *eddy_create_connection(eddy_loop *loop, int port, const char *host,
                                    eddy_listener on_connect, void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
    if (!loop || port <= 0 || eddy__sockaddr_from_host(&addr, &len, host, port, false, false) < 0)
        return NULL;
    return connect_new(loop, &addr, len, on_connect, ctx);
}

eddy_socket *eddy_create_connection_path(eddy_loop *loop, const char *path,
                                         eddy_listener on_connect, void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
    if (!loop || eddy__sockaddr_from_path(&addr, &len, path) < 0)
        return NULL;
    return connect_new(loop, &addr, len, on_connect, ctx);
}

/* ---- destroying ---- */

static void cache_local_address(eddy_socket *s)
{
    if (has(s, S_LOCAL_CACHED) || socket_fd(s) < 0)
        return;
    eddy__sockaddr local;
    socklen_t len = sizeof local;
    if (!has(s, S_UNIX) && getsockname(socket_fd(s), &local.sa, &len) == 0 &&
        cache_address(&s->local, &s->local_len, &local, len))
        s->flags |= S_LOCAL_CACHED;
}

static void cancel_writes(eddy_socket *s, int status)
{
    while (!eddy__queue_empty(&s->writes)) {
        struct write_req *r = EDDY__CONTAINER_OF(s->writes.next, struct write_req, node);
        eddy__queue_remove(&r->node);
        if (r->send_fd >= 0 && r->off == 0)
            r->send_fd = -1; /* never sent: the caller still owns it */
        r->status = status;
        eddy__queue_insert_tail(&s->done, &r->node);
    }
    s->queued = 0;
}

/* Stops all I/O at once; 'error' (when err) and 'close' follow from the loop, and the fd
 * is closed after 'close'. */
static void socket_destroy(eddy_socket *s, int err, uint8_t call)
{
    if (has(s, S_DESTROYED))
        return;
    s->flags |= S_DESTROYED;
    if (err) {
        s->error = err;
        s->error_call = call;
    }
    if (s->io.fd >= 0) {
        /* No more events; the fd itself is closed after 'close' was emitted, so the
         * addresses can still be read there (from the kernel, only if asked) and no
         * getsockname is spent on sockets whose addresses nobody reads. */
        s->closing_fd = s->io.fd;
        eddy__io_close(&s->io);
    }
    if (s->idle)
        eddy__timer_stop(&s->idle->timer);
    cancel_writes(s, -ECANCELED);
    sync_ref(s);
    schedule_tick(s);
}

void eddy_socket_destroy(eddy_socket *s)
{
    if (s)
        socket_destroy(s, 0, CALL_NONE);
}

/* Both directions are done: the socket closes by itself (Node's autoDestroy). */
static void maybe_close(eddy_socket *s)
{
    if (has(s, S_READ_ENDED) && has(s, S_SHUT))
        socket_destroy(s, 0, CALL_NONE);
}

static void send_fin(eddy_socket *s)
{
    s->flags |= S_SHUT;
    eddy__io_stop(&s->io, EDDY__WRITABLE);
    /* With the peer's FIN already read, the socket closes right away, and close(2) sends
     * our FIN itself (nothing unread, so no reset): no shutdown(2) needed. ENOTCONN from
     * shutdown: the peer reset the connection; the read side reports it. */
    if (!has(s, S_READ_ENDED))
        shutdown(s->io.fd, SHUT_WR);
    maybe_close(s);
}

/* The pending phase: 'connect' of an immediate connection, write callbacks, 'drain',
 * then 'error' and 'close' of a destroyed socket, in Node's order. */
static void socket_tick(eddy__deferred *d)
{
    eddy_socket *s = EDDY__CONTAINER_OF(d, eddy_socket, tick);
    if (has(s, S_CONNECT_PENDING)) {
        s->flags &= ~S_CONNECT_PENDING;
        if (!has(s, S_DESTROYED))
            socket_connected(s);
    }
    if (has(s, S_FLUSH_PENDING)) {
        s->flags &= ~S_FLUSH_PENDING;
        if (!has(s, S_DESTROYED) && !eddy__queue_empty(&s->writes))
            flush_writes(s);
    }
    run_write_callbacks(s);
    if (has(s, S_DRAIN_PENDING)) {
        s->flags &= ~S_DRAIN_PENDING;
        if (!has(s, S_DESTROYED))
            eddy__emit_id(&s->emitter, EDDY__EV_DRAIN, NULL);
    }
    if (!has(s, S_DESTROYED) || has(s, S_CLOSE_EMITTED))
        return;
    if (eddy__deferred_queued(&s->tick))
        return; /* a listener above queued more: finish in that run */
    s->flags |= S_CLOSE_EMITTED;
    if (s->error)
        emit_error(s, s->error, call_name(s->error_call));
    eddy_event ev = {0};
    ev.u.had_error = s->error != 0;
    eddy__emit_id(&s->emitter, EDDY__EV_CLOSE, &ev);
    if (s->closing_fd >= 0) {
        close(s->closing_fd);
        s->closing_fd = -1;
    }
    if (s->server)
        eddy__server_connection_closed(s->server);
    eddy__release(s->io.loop, &s->tick, socket_release);
}

/* ---- reading ---- */

static void emit_data(eddy_socket *s, const unsigned char *bytes, size_t len)
{
    eddy_event ev = {0};
    if (!has(s, S_DECODING)) {
        ev.u.data.bytes = bytes;
        ev.u.data.len = len;
        eddy__emit_id(&s->emitter, EDDY__EV_DATA, &ev);
        return;
    }
    char *text = eddy__loop_scratch(s->io.loop, 1, eddy__decoder_bound(&s->decoder, len) + 1);
    if (!text) {
        socket_destroy(s, -ENOMEM, CALL_READ);
        return;
    }
    size_t n = eddy__decoder_write(&s->decoder, bytes, len, text);
    if (n == 0)
        return; /* only part of a character so far */
    ev.u.data.bytes = text;
    ev.u.data.len = n;
    eddy__emit_id(&s->emitter, EDDY__EV_DATA, &ev);
}

static void on_eof(eddy_socket *s)
{
    s->flags |= S_READ_ENDED;
    sync_reading(s);
    if (has(s, S_DECODING)) {
        char tail[16];
        size_t n = eddy__decoder_end(&s->decoder, tail);
        if (n) {
            eddy_event ev = {0};
            ev.u.data.bytes = tail;
            ev.u.data.len = n;
            eddy__emit_id(&s->emitter, EDDY__EV_DATA, &ev);
            if (has(s, S_DESTROYED))
                return;
        }
    }
    eddy__emit_id(&s->emitter, EDDY__EV_END, NULL);
    if (has(s, S_DESTROYED))
        return;
    /* Without allow_half_open our side ends too, once its queue is flushed. Either way,
     * if our FIN went out already, both directions are done now. */
    if (!has(s, S_HALF_OPEN))
        eddy_socket_end(s, NULL, 0);
    if (!has(s, S_DESTROYED))
        maybe_close(s);
}

/* Descriptors passed over a UNIX socket arrive with the bytes (SCM_RIGHTS). Room for
 * as many as Linux sends in one message (SCM_MAX_FD, 253): with less, the kernel drops
 * (closes) those that do not fit and sets MSG_CTRUNC. Should that still happen (several
 * messages' descriptors in one read on another kernel), *truncated says so, and the
 * socket fails instead of losing descriptors without a word. */
enum { FDS_PER_MESSAGE = 253 };

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
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
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
            if (has(s, S_DESTROYED) || eddy__emit_id(&s->emitter, EDDY__EV_FD, &ev) <= 0)
                close(fd);
        }
    }
    return n;
}

static void socket_read(eddy_socket *s)
{
    unsigned char *buf = eddy__loop_scratch(s->io.loop, 0, READ_BUFFER_SIZE);
    if (!buf) {
        socket_destroy(s, -ENOMEM, CALL_READ);
        return;
    }
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        bool truncated = false;
        ssize_t n = has(s, S_UNIX) ? read_unix(s, buf, READ_BUFFER_SIZE, &truncated)
                                   : read(s->io.fd, buf, READ_BUFFER_SIZE);
        if (n > 0) {
            s->bytes_read += (uint64_t)n;
            touch(s);
            emit_data(s, buf, (size_t)n);
            if (truncated) {
                socket_destroy(s, -EMSGSIZE, CALL_READ);
                return;
            }
            /* The listener may have paused, ended or destroyed the socket. */
            if ((size_t)n < READ_BUFFER_SIZE || has(s, S_DESTROYED | S_PAUSED))
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
            socket_destroy(s, -errno, CALL_READ);
        return;
    }
}

/* ---- writing ---- */

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
    ssize_t n;
    /* MSG_NOSIGNAL: a write to a reset connection returns EPIPE instead of raising
     * SIGPIPE, whatever the process's signal disposition. */
    do
        n = sendmsg(s->io.fd, &msg, EDDY__MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

static void write_failed(eddy_socket *s, int err)
{
    socket_destroy(s, err, CALL_WRITE);
}

/* The queue emptied: 'drain' if a write asked for it, the FIN if end() was called. */
static void writes_flushed(eddy_socket *s)
{
    eddy__io_stop(&s->io, EDDY__WRITABLE);
    if (has(s, S_NEED_DRAIN)) {
        s->flags &= ~S_NEED_DRAIN;
        s->flags |= S_DRAIN_PENDING;
        schedule_tick(s);
    }
    if (has(s, S_END_CALLED) && !has(s, S_SHUT))
        send_fin(s);
}

/* Writes as much of the queue as the kernel takes, in one sendmsg per IOVS_PER_SEND
 * requests: small writes queued while the kernel was busy leave together. */
static void flush_writes(eddy_socket *s)
{
    while (!eddy__queue_empty(&s->writes)) {
        struct iovec iov[IOVS_PER_SEND];
        int cnt = 0;
        int send_fd = -1;
        for (eddy__queue *q = s->writes.next; q != &s->writes && cnt < IOVS_PER_SEND; q = q->next) {
            struct write_req *r = EDDY__CONTAINER_OF(q, struct write_req, node);
            if (r->send_fd >= 0 && r->off == 0) {
                if (cnt > 0)
                    break; /* a descriptor travels with its own request's first byte */
                send_fd = r->send_fd;
            }
            iov[cnt].iov_base = r->bytes + r->off;
            iov[cnt].iov_len = r->len - r->off;
            cnt++;
            if (send_fd >= 0)
                break;
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
        touch(s);
        while (!eddy__queue_empty(&s->writes)) {
            struct write_req *r = EDDY__CONTAINER_OF(s->writes.next, struct write_req, node);
            size_t rest = r->len - r->off;
            if (r->send_fd >= 0 && r->off == 0 && (left > 0 || rest == 0))
                r->send_fd = -1; /* passed to the peer */
            if (left < rest) {
                r->off += left;
                break;
            }
            left -= rest;
            r->off = r->len;
            eddy__queue_remove(&r->node);
            if (r->cb) {
                r->status = 0;
                eddy__queue_insert_tail(&s->done, &r->node);
                schedule_tick(s);
            } else {
                eddy__free(r);
            }
            if (left == 0 && rest != 0)
                break;
        }
        if ((size_t)n < total)
            break; /* partial: the kernel is full, wait for writability */
    }
    if (eddy__queue_empty(&s->writes))
        writes_flushed(s);
    else
        eddy__io_start(&s->io, EDDY__WRITABLE);
}

static void socket_on_io(eddy__io *io, unsigned revents)
{
    eddy_socket *s = EDDY__CONTAINER_OF(io, eddy_socket, io);
    if (revents & EDDY__IO_FAILED) {
        /* The backend refused to watch the fd (closed behind our back: EBADF). */
        socket_destroy(s, eddy__io_error(revents), CALL_IO_WATCH);
        return;
    }
    if (has(s, S_CONNECTING)) {
        finish_connect(s);
        return;
    }
    if (revents & EDDY__READABLE) {
        socket_read(s);
        if (has(s, S_DESTROYED))
            return;
    }
    if ((revents & EDDY__WRITABLE) && s->io.fd >= 0) {
        if (!eddy__queue_empty(&s->writes))
            flush_writes(s);
        else
            writes_flushed(s);
    }
}

static struct write_req *req_new(size_t len, eddy_write_cb cb, void *ctx)
{
    size_t cap = len < SMALL_WRITE ? CHUNK_SIZE - sizeof(struct write_req) : len;
    if (len == 0)
        cap = 0; /* a callback alone */
    struct write_req *r = eddy__malloc(sizeof *r + cap);
    if (!r)
        return NULL;
    eddy__queue_init(&r->node);
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
            eddy__queue_insert_tail(&s->done, &r->node);
        }
    }
    if (!has(s, S_DESTROYED))
        socket_destroy(s, -EPIPE, CALL_WRITE);
    else if (!has(s, S_CLOSE_EMITTED) || cb)
        schedule_tick(s);
    return false;
}

/* A completed write's callback, run from the tick; false on -ENOMEM. */
static bool callback_done(eddy_socket *s, eddy_write_cb cb, void *ctx, int status)
{
    struct write_req *r = req_new(0, cb, ctx);
    if (!r)
        return false;
    r->status = status;
    eddy__queue_insert_tail(&s->done, &r->node);
    schedule_tick(s);
    return true;
}

/* Appends to the last queued request when it has room: one callback slot per request,
 * so only when at most one of the two has a callback (the earlier callback then runs
 * when the later bytes are written too, still in order). */
static bool append_to_tail(eddy_socket *s, const void *data, size_t len, eddy_write_cb cb,
                           void *ctx)
{
    if (eddy__queue_empty(&s->writes))
        return false;
    struct write_req *t = EDDY__CONTAINER_OF(s->writes.prev, struct write_req, node);
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

static bool queue_write(eddy_socket *s, const void *data, size_t len, int send_fd, eddy_write_cb cb,
                        void *ctx)
{
    if (has(s, S_END_CALLED | S_DESTROYED))
        return write_after_end(s, cb, ctx);
    /* Node's bytesWritten: what write and end accepted, not yet what the kernel took. */
    s->bytes_written += len;
    size_t sent = 0;
    bool idle = has(s, S_CONNECTED) && eddy__queue_empty(&s->writes) && send_fd < 0;
    /* The first write of an iteration to an idle socket goes straight to the kernel, no
     * copy: a reply costs one syscall. Further writes in the same iteration are held and
     * leave together in one sendmsg when the callback that made them returns. */
    bool hold = (idle && s->direct_write_iteration == (uint32_t)s->io.loop->iteration) ||
                (has(s, S_FLUSH_PENDING) && send_fd < 0);
    if (idle && !hold && len > 0) {
        s->direct_write_iteration = (uint32_t)s->io.loop->iteration;
        ssize_t n;
        do
            n = send(s->io.fd, data, len, EDDY__MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            int err = -errno;
            if (cb)
                callback_done(s, cb, ctx, err);
            write_failed(s, err);
            return false;
        }
        if (n > 0) {
            sent = (size_t)n;
            touch(s);
        }
        if (sent == len) {
            if (cb && !callback_done(s, cb, ctx, 0)) {
                socket_destroy(s, -ENOMEM, CALL_WRITE);
                return false;
            }
            return s->queued < s->high_water_mark;
        }
    }
    size_t rest = len - sent;
    const unsigned char *bytes = (const unsigned char *)data + sent;
    if (send_fd >= 0 || !append_to_tail(s, bytes, rest, cb, ctx)) {
        struct write_req *r = req_new(rest, cb, ctx);
        if (!r) {
            socket_destroy(s, -ENOMEM, CALL_WRITE);
            return false;
        }
        if (rest)
            memcpy(r->bytes, bytes, rest);
        r->send_fd = send_fd;
        eddy__queue_insert_tail(&s->writes, &r->node);
    }
    s->queued += rest;
    if (hold && s->queued >= s->high_water_mark && !(s->io.events & EDDY__WRITABLE)) {
        /* Held writes reached the high-water mark: send them now, so that holding never
         * makes write return false while the kernel has room (once the kernel is full,
         * writability is awaited and this is skipped: no syscall per write). */
        flush_writes(s);
        if (has(s, S_DESTROYED))
            return false;
    } else if (hold) {
        s->flags |= S_FLUSH_PENDING;
        schedule_tick(s);
    } else if (has(s, S_CONNECTED) && !has(s, S_FLUSH_PENDING)) {
        eddy__io_start(&s->io, EDDY__WRITABLE);
    }
    if (s->queued >= s->high_water_mark) {
        s->flags |= S_NEED_DRAIN;
        return false;
    }
    return true;
}

/* No buffer is that big: a length this large is a caller's bug (a negative length cast
 * to size_t), and copying it would overflow the request's size. */
static bool length_too_big(size_t len)
{
    return len > SIZE_MAX / 2 - sizeof(struct write_req) - CHUNK_SIZE;
}

bool eddy_socket_write(eddy_socket *s, const void *data, size_t len, eddy_write_cb cb, void *ctx)
{
    if (!s || (!data && len) || length_too_big(len))
        return false;
    return queue_write(s, data, len, -1, cb, ctx);
}

bool eddy_socket_write_fd(eddy_socket *s, const void *data, size_t len, int fd, eddy_write_cb cb,
                          void *ctx)
{
    if (!s || (!data && len) || length_too_big(len))
        return false;
    if (fd < 0 || !has(s, S_UNIX) || len == 0) {
        /* A descriptor needs a UNIX socket and at least one byte to travel with. */
        if (!has(s, S_DESTROYED))
            socket_destroy(s, -EINVAL, CALL_WRITE);
        return false;
    }
    return queue_write(s, data, len, fd, cb, ctx);
}

bool eddy_socket_write_string(eddy_socket *s, const char *str, eddy_encoding enc, eddy_write_cb cb,
                              void *ctx)
{
    if (!s || !str)
        return false;
    if (!eddy__encoding_valid((int)enc)) {
        if (!has(s, S_DESTROYED))
            socket_destroy(s, -EINVAL, CALL_WRITE);
        return false;
    }
    size_t slen = strlen(str);
    if (enc == EDDY_ENC_BUFFER || enc == EDDY_ENC_UTF8)
        return queue_write(s, str, slen, -1, cb, ctx);
    size_t bound = eddy__encoding_bytes_bound(enc, slen);
    unsigned char small[256];
    unsigned char *bytes = bound <= sizeof small ? small : eddy__malloc(bound);
    if (!bytes) {
        socket_destroy(s, -ENOMEM, CALL_WRITE);
        return false;
    }
    size_t n = eddy__encoding_to_bytes(enc, str, slen, bytes);
    bool ok = queue_write(s, bytes, n, -1, cb, ctx);
    if (bytes != small)
        eddy__free(bytes);
    return ok;
}

int eddy_socket_end(eddy_socket *s, const void *data, size_t len)
{
    if (!s)
        return -EINVAL;
    if (len && (!data || length_too_big(len)))
        return -EINVAL;
    if (has(s, S_END_CALLED | S_DESTROYED))
        return 0;
    if (data && len)
        queue_write(s, data, len, -1, NULL, NULL);
    if (has(s, S_DESTROYED))
        return 0;
    s->flags |= S_END_CALLED;
    if (has(s, S_CONNECTED) && eddy__queue_empty(&s->writes))
        send_fin(s);
    else if (!has(s, S_CONNECTING | S_CONNECTED))
        socket_destroy(s, 0, CALL_NONE); /* never connected: nothing to end, just close */
    return 0;
}

/* ---- flow control, options, state ---- */

static void set_paused(eddy_socket *s, bool paused)
{
    if (!s)
        return;
    s->flags = paused ? s->flags | S_PAUSED : s->flags & ~S_PAUSED;
    sync_reading(s);
}

void eddy_socket_pause(eddy_socket *s)
{
    set_paused(s, true);
}

void eddy_socket_resume(eddy_socket *s)
{
    set_paused(s, false);
}

int eddy_socket_set_timeout(eddy_socket *s, uint64_t ms, eddy_listener on_timeout, void *ctx)
{
    if (!s)
        return -EINVAL;
    if (has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    if (ms == 0) {
        if (s->idle) {
            s->idle->timeout_ns = 0;
            eddy__timer_stop(&s->idle->timer);
        }
    } else {
        if (!s->idle) {
            struct socket_idle *idle = eddy__malloc(sizeof *idle);
            if (!idle)
                return -ENOMEM;
            eddy__timer_init(&idle->timer, s->io.loop);
            eddy__timer_set_ref(&idle->timer, false);
            idle->timeout_ns = 0;
            s->idle = idle;
        }
        uint64_t now = eddy__clock_ns();
        uint64_t timeout_ns = ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2 : ms * 1000000u;
        if (eddy__timer_start_at(&s->idle->timer, now + timeout_ns, idle_fire, s) < 0)
            return -ENOMEM; /* the heap could not grow: no timeout is set */
        s->idle->timeout_ns = timeout_ns;
        s->idle->last_active_ns = now;
    }
    /* Added last, so that a failure above leaves no listener behind (the timer cannot
     * fire before this call returns). */
    if (on_timeout) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_TIMEOUT, on_timeout, ctx, true);
        if (err < 0) {
            if (s->idle) {
                s->idle->timeout_ns = 0;
                eddy__timer_stop(&s->idle->timer);
            }
            return err;
        }
    }
    return 0;
}

int eddy_socket_set_no_delay(eddy_socket *s, bool no_delay)
{
    if (!s)
        return -EINVAL;
    if (has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    s->flags = no_delay ? s->flags | S_NO_DELAY : s->flags & ~S_NO_DELAY;
    return apply_no_delay(s);
}

int eddy_socket_set_keep_alive(eddy_socket *s, bool enable, uint64_t initial_delay_ms)
{
    if (!s)
        return -EINVAL;
    if (has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    s->flags = enable ? s->flags | S_KEEPALIVE : s->flags & ~S_KEEPALIVE;
    /* TCP_KEEPIDLE counts whole seconds, truncated as Node does; under one second the
     * system's default stands (0: not set). */
    uint64_t secs = initial_delay_ms / 1000;
    s->keepalive_s = secs > INT_MAX ? INT_MAX : (uint32_t)secs;
    return apply_keep_alive(s);
}

int eddy_socket_set_encoding(eddy_socket *s, eddy_encoding enc)
{
    if (!s || !eddy__encoding_valid((int)enc))
        return -EINVAL;
    /* A fresh decoder, as Node's Readable.setEncoding makes one: bytes are never held
     * between reads here (eddy does not read ahead), so nothing pending is lost. */
    eddy__decoder_init(&s->decoder, enc);
    s->flags = enc == EDDY_ENC_BUFFER ? s->flags & ~S_DECODING : s->flags | S_DECODING;
    return 0;
}

size_t eddy_socket_buffer_size(const eddy_socket *s)
{
    return s ? s->queued : 0;
}

/* A UNIX socket's addresses come from the kernel while it is open. */
static int live_address(const eddy_socket *s, eddy_address *out, bool peer)
{
    eddy__sockaddr sa;
    socklen_t len = sizeof sa;
    int fd = socket_fd(s);
    if (fd < 0)
        return -ENOTCONN;
    int r = peer ? getpeername(fd, &sa.sa, &len) : getsockname(fd, &sa.sa, &len);
    if (r < 0)
        return -errno;
    eddy__address_from_sockaddr(out, &sa, len);
    return 0;
}

int eddy_socket_remote_address(const eddy_socket *s, eddy_address *out)
{
    if (!s || !out)
        return -EINVAL;
    if (has(s, S_UNIX))
        return live_address(s, out, true);
    if (!has(s, S_PEER_CACHED))
        return -ENOTCONN;
    eddy__sockaddr sa; /* aligned for eddy__sockaddr, which the compact form is not */
    memcpy(&sa, &s->peer, s->peer_len);
    eddy__address_from_sockaddr(out, &sa, s->peer_len);
    return 0;
}

int eddy_socket_address(const eddy_socket *s, eddy_address *out)
{
    if (!s || !out)
        return -EINVAL;
    if (has(s, S_UNIX))
        return live_address(s, out, false);
    if (!has(s, S_CONNECTED | S_CONNECTING))
        return -ENOTCONN;
    cache_local_address((eddy_socket *)s); /* caching is not a visible change */
    if (!has(s, S_LOCAL_CACHED))
        return -ENOTCONN;
    eddy__sockaddr sa; /* aligned for eddy__sockaddr, which the compact form is not */
    memcpy(&sa, &s->local, s->local_len);
    eddy__address_from_sockaddr(out, &sa, s->local_len);
    return 0;
}

uint64_t eddy_socket_bytes_read(const eddy_socket *s)
{
    return s ? s->bytes_read : 0;
}

uint64_t eddy_socket_bytes_written(const eddy_socket *s)
{
    return s ? s->bytes_written : 0;
}

static void set_referenced(eddy_socket *s, bool referenced)
{
    if (!s)
        return;
    s->flags = referenced ? s->flags | S_REFERENCED : s->flags & ~S_REFERENCED;
    sync_ref(s);
}

void eddy_socket_ref(eddy_socket *s)
{
    set_referenced(s, true);
}

void eddy_socket_unref(eddy_socket *s)
{
    set_referenced(s, false);
}

/* ---- pipe ----
 * Listeners only: src's 'data' writes to dst (ctx dst) and pauses src when dst is full;
 * dst's 'drain' resumes src (ctx src); src's 'end' ends dst. Whichever closes first
 * removes the listeners that point at it from the other. */

static void pipe_on_data(const eddy_event *ev, void *ctx)
{
    eddy_socket *src = ev->target, *dst = ctx;
    if (!eddy_socket_write(dst, ev->u.data.bytes, ev->u.data.len, NULL, NULL))
        eddy_socket_pause(src);
}

static void pipe_on_drain(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_socket_resume(ctx);
}

static void pipe_on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_socket_end(ctx, NULL, 0);
}

static void pipe_unlink_src(const eddy_event *ev, void *ctx);

/* dst closed: src must stop writing into it */
static void pipe_unlink_dst(const eddy_event *ev, void *ctx)
{
    eddy_socket *dst = ev->target, *src = ctx;
    eddy__off_id(&src->emitter, EDDY__EV_DATA, pipe_on_data, dst);
    eddy__off_id(&src->emitter, EDDY__EV_END, pipe_on_end, dst);
    eddy__off_id(&src->emitter, EDDY__EV_CLOSE, pipe_unlink_src, dst);
}

/* src closed: dst must forget it */
static void pipe_unlink_src(const eddy_event *ev, void *ctx)
{
    eddy_socket *src = ev->target, *dst = ctx;
    eddy__off_id(&dst->emitter, EDDY__EV_DRAIN, pipe_on_drain, src);
    eddy__off_id(&dst->emitter, EDDY__EV_CLOSE, pipe_unlink_dst, src);
}

int eddy_socket_pipe(eddy_socket *src, eddy_socket *dst, bool end_dst)
{
    if (!src || !dst || has(src, S_DESTROYED) || has(dst, S_DESTROYED))
        return -EINVAL;
    int err = eddy__on_id(&src->emitter, EDDY__EV_DATA, pipe_on_data, dst, false);
    if (!err && end_dst)
        err = eddy__on_id(&src->emitter, EDDY__EV_END, pipe_on_end, dst, false);
    if (!err)
        err = eddy__on_id(&src->emitter, EDDY__EV_CLOSE, pipe_unlink_src, dst, false);
    if (!err)
        err = eddy__on_id(&dst->emitter, EDDY__EV_DRAIN, pipe_on_drain, src, false);
    if (!err)
        err = eddy__on_id(&dst->emitter, EDDY__EV_CLOSE, pipe_unlink_dst, src, false);
    if (err) {
        eddy_event ev = {0};
        ev.target = src;
        pipe_unlink_src(&ev, dst);
        ev.target = dst;
        pipe_unlink_dst(&ev, src);
        return err;
    }
    eddy_socket_resume(src);
    return 0;
}
