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
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "net_internal.h"
#include "sys.h"

static void socket_tick(eddy__deferred *d);

static const char *const call_names[] = {NULL,         "connect", "read", "write",
                                         "setTimeout", NULL,      "bind", "getaddrinfo"};

static const char *call_name(uint8_t call)
{
    /* CALL_IO_WATCH: the backend's call ("epoll_ctl"), known to the loop only */
    return call == CALL_IO_WATCH ? eddy__io_failed_call() : call_names[call];
}

/* ---- small helpers ---- */

/* Keeps an IPv4 or IPv6 address in the socket's compact form. */
bool eddy__socket_cache_address(eddy__inaddr *dst, const eddy__sockaddr *src, socklen_t len)
{
    if (len > sizeof *dst || (src->sa.sa_family != AF_INET && src->sa.sa_family != AF_INET6))
        return false;
    memcpy(dst, src, len);
    return true;
}

/* The fd, also while a destroyed socket waits for its 'close' to be emitted. closing_fd
 * only means that once destroyed: before, its word is direct_write_iteration. */
static int socket_fd(const eddy_socket *s)
{
    if (s->io.fd >= 0)
        return s->io.fd;
    return socket_has(s, S_DESTROYED) ? s->closing_fd : -1;
}

/* Whether the socket has work the loop must wait for, as a libuv handle is active: it
 * connects, reads, or has writes (or a FIN) to send. A connected socket that is paused (or
 * whose peer ended) with nothing to write does not keep the loop alive: Node exits when
 * only such sockets are left. */
static bool socket_active(const eddy_socket *s)
{
    if (socket_has(s, S_DESTROYED))
        return false;
    if (s->io.fd < 0)
        return socket_has(s, S_CONNECTING); /* looking its host up, or racing addresses */
    if (!socket_has(s, S_CONNECTED))
        return socket_has(s, S_CONNECTING); /* (or a wrapped fd not connected yet) */
    if (!socket_has(s, S_PAUSED | S_READ_ENDED))
        return true;
    return !ring_empty(&s->writes) ||
           (socket_has(s, S_END_CALLED) && !socket_has(s, S_SHUT));
}

/* An active socket that is referenced keeps the loop alive. */
void eddy__socket_sync_ref(eddy_socket *s)
{
    bool want = socket_has(s, S_REFERENCED) && socket_active(s);
    if (want == socket_has(s, S_HOLDS_REF))
        return;
    if (want) {
        eddy__loop_ref(s->io.loop);
        s->flags |= S_HOLDS_REF;
    } else {
        eddy__loop_unref(s->io.loop);
        s->flags &= ~S_HOLDS_REF;
    }
}

void eddy__socket_sync_reading(eddy_socket *s)
{
    if (socket_has(s, S_CONNECTED) && !socket_has(s, S_PAUSED | S_READ_ENDED | S_DESTROYED))
        eddy__io_start(&s->io, EDDY__READABLE);
    else if (s->io.fd >= 0)
        eddy__io_stop(&s->io, EDDY__READABLE);
    eddy__socket_sync_ref(s);
}

static void socket_diagnostic(const eddy_diagnostic *d, void *ctx)
{
    eddy_socket *s = ctx;
    if (!eddy__diagnostic_to_hook(s->io.loop, d, "socket"))
        eddy_socket_destroy(s);
}

/* 'error', with what a failed connect was connecting to (Node's err.address, err.port). */
static void emit_error(eddy_socket *s, int code, uint8_t call)
{
    eddy_event ev = {0};
    ev.u.error.code = code;
    ev.u.error.syscall = call_name(call);
    ev.u.error.port = -1; /* Node: undefined for a UNIX path, and for port 0 */
    eddy_address peer;
    if (call == CALL_CONNECT) {
        if (socket_has(s, S_UNIX) && s->rare && s->rare->path) {
            ev.u.error.address = s->rare->path;
        } else if (s->peer.sa.sa_family) {
            eddy__sockaddr sa; /* aligned, which the compact form is not */
            memcpy(&sa, &s->peer, eddy__inaddr_len(&s->peer));
            eddy__address_from_sockaddr(&peer, &sa, eddy__inaddr_len(&s->peer));
            ev.u.error.address = peer.address;
            ev.u.error.port = peer.port ? peer.port : -1;
        }
    } else if (call == CALL_GETADDRINFO) {
        ev.u.error.hostname = eddy__socket_lookup_host(s); /* Node's err.hostname */
    }
    eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
}

struct socket_rare *eddy__socket_rare(eddy_socket *s)
{
    if (!s->rare) {
        struct socket_rare *r = eddy__calloc(1, sizeof *r);
        if (!r)
            return NULL;
        eddy__timer_init(&r->timer, s->io.loop);
        eddy__timer_set_ref(&r->timer, false);
        eddy__decoder_init(&r->decoder, EDDY_ENC_BUFFER);
        s->rare = r;
    }
    return s->rare;
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
    if (eddy__timer_start_at(&s->rare->timer, due, idle_fire, s) < 0)
        eddy__socket_destroy(s, -ENOMEM, CALL_SET_TIMEOUT);
}

void eddy__socket_touch_rare(eddy_socket *s)
{
    struct socket_rare *idle = s->rare;
    idle->last_active_ns = s->io.loop->now_ns;
    if (idle->timeout_ns && !eddy__timer_active(&idle->timer) && !socket_has(s, S_DESTROYED))
        idle_restart(s, idle->last_active_ns + idle->timeout_ns);
}

static void idle_fire(void *arg)
{
    eddy_socket *s = arg;
    struct socket_rare *idle = s->rare;
    if (socket_has(s, S_DESTROYED) || idle->timeout_ns == 0)
        return;
    uint64_t due = idle->last_active_ns + idle->timeout_ns;
    if (due > s->io.loop->now_ns) {
        idle_restart(s, due);
        return;
    }
    /* Once per idle period: the timer stays off until the next activity. */
    eddy__emit_id(&s->emitter, EDDY__EV_TIMEOUT, NULL);
}

/* ---- creation and release ---- */

static uint32_t clamp_u32(size_t n)
{
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

_Static_assert(sizeof(void *) != 8 || sizeof(struct eddy_socket) == 184,
               "a connection's socket is 184 bytes on LP64 (a 192-byte malloc chunk): see "
               "net_internal.h and bench/ \"idle connections\" before growing it");

eddy_socket *eddy__socket_alloc(eddy_loop *loop)
{
    eddy_socket *s = eddy__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    eddy__emitter_init_diag(&s->emitter, socket_diagnostic); /* ctx: s */
    eddy__io_init(&s->io, loop, -1, eddy__socket_on_io);
    s->flags = S_REFERENCED; /* direct_write_iteration 0: no direct write yet */
    eddy__deferred_init(&s->tick, socket_tick);
    eddy__handle_add(loop);
    return s;
}

/* A socket that was never handed out (its options could not be applied): freed at once,
 * with the on-demand part it may have got. */
static void socket_free_unused(eddy_socket *s)
{
    eddy__handle_remove(s->io.loop);
    eddy__free(s->rare);
    eddy__free(s);
}

int eddy__socket_set_high_water_mark(eddy_socket *s, size_t n)
{
    uint32_t hwm = clamp_u32(n);
    if (hwm == DEFAULT_HIGH_WATER_MARK) {
        if (s->rare)
            s->rare->high_water_mark = 0;
        return 0;
    }
    struct socket_rare *r = eddy__socket_rare(s);
    if (!r)
        return -ENOMEM;
    r->high_water_mark = hwm;
    return 0;
}

void eddy__socket_release(eddy__deferred *d)
{
    eddy_socket *s = EDDY__CONTAINER_OF(d, eddy_socket, tick);
    eddy__socket_run_write_callbacks(s); /* those queued by 'close' listeners */
    eddy__emitter_dispose(&s->emitter);
    eddy__handle_remove(s->io.loop);
    if (s->rare) {
        eddy__free(s->rare->path);
        eddy__socket_lookup_free(s);
    }
    eddy__free(s->rare);
    eddy__free(s);
}

/* TCP_NODELAY as the flags say; 0 or -errno. Nothing to do before there is an fd (it
 * is applied on connect) or on a UNIX socket. */
static int apply_no_delay(eddy_socket *s)
{
    if (s->io.fd < 0 || socket_has(s, S_UNIX))
        return 0;
    int v = socket_has(s, S_NO_DELAY);
    return setsockopt(s->io.fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0 ? -errno : 0;
}

static int apply_keep_alive(eddy_socket *s)
{
    if (s->io.fd < 0 || socket_has(s, S_UNIX))
        return 0;
    int v = socket_has(s, S_KEEPALIVE);
    if (setsockopt(s->io.fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v) < 0)
        return -errno;
#ifdef TCP_KEEPIDLE
    if (v && s->rare && s->rare->keepalive_s) {
        int secs = (int)s->rare->keepalive_s;
        if (setsockopt(s->io.fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs) < 0)
            return -errno;
    }
#endif
#if defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    if (v) {
        /* As libuv (and so Node v20) sets them: a probe a second, ten probes. */
        int intvl = 1, cnt = 10;
        setsockopt(s->io.fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
        setsockopt(s->io.fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    }
#endif
    return 0;
}

/* Options set before the connection existed. */
void eddy__socket_apply_options(eddy_socket *s)
{
    if (socket_has(s, S_NO_DELAY))
        apply_no_delay(s);
    if (socket_has(s, S_KEEPALIVE))
        apply_keep_alive(s);
}

eddy_socket *eddy__socket_accepted(eddy_server *server, int fd, const eddy__sockaddr *peer,
                                   socklen_t peer_len, const eddy_server_options *opts)
{
    eddy_loop *loop = eddy__server_loop(server);
    eddy_socket *s = eddy__socket_alloc(loop);
    if (!s)
        return NULL;
    s->server = server;
    s->io.fd = fd;
    s->flags |= S_CONNECTED;
    if (opts->allow_half_open)
        s->flags |= S_HALF_OPEN;
    if (opts->pause_on_connect)
        s->flags |= S_PAUSED;
    /* A mark other than the default, or a keep-alive delay, takes the on-demand part: with
     * no room for it, the connection is dropped as when the socket itself cannot be made
     * (the fd stays the caller's). */
    bool no_room = opts->high_water_mark &&
                   eddy__socket_set_high_water_mark(s, opts->high_water_mark) == -ENOMEM;
    if (!no_room && peer->sa.sa_family != AF_UNIX && (opts->no_delay || opts->keep_alive)) {
        /* The server's noDelay / keepAlive options (Node v18.6+), set on each socket. */
        if (opts->no_delay)
            eddy_socket_set_no_delay(s, true);
        no_room = opts->keep_alive &&
                  eddy_socket_set_keep_alive(s, true, opts->keep_alive_initial_delay_ms) == -ENOMEM;
    }
    if (no_room) {
        socket_free_unused(s);
        return NULL;
    }
    if (peer->sa.sa_family == AF_UNIX) {
        s->flags |= S_UNIX;
    } else {
        if (eddy__socket_cache_address(&s->peer, peer, peer_len))
            s->flags |= S_PEER_CACHED;
    }
    eddy__socket_sync_reading(s);
    eddy__socket_sync_ref(s);
    return s;
}

/* What a wrapped fd is (Node's new net.Socket({fd})): a stream socket, connected or not
 * yet (then eddy_socket_connect* uses it), or a pipe or tty, read and written with
 * read(2)/writev(2). Flags to add, or -1 for what cannot be a stream. A connected TCP
 * socket's peer goes to *peer_out (its remoteAddress, as for an accepted one), with
 * S_PEER_CACHED among the flags. */
static int64_t wrapped_fd_kind(int fd, eddy__inaddr *peer_out)
{
    int type;
    socklen_t tlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
#ifdef EDDY_NO_PIPE_TTY
        return -1; /* only sockets are wrapped in this build */
#else
        struct stat st;
        if (errno != ENOTSOCK || fstat(fd, &st) < 0 ||
            !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
            return -1;
        return S_NOT_SOCKET | S_CONNECTED;
#endif
    }
    if (type != SOCK_STREAM)
        return -1;
    int listening = 0;
    socklen_t llen = sizeof listening;
#ifdef SO_ACCEPTCONN
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen) == 0 && listening)
        return -1; /* a listening socket is a server's */
#endif
    eddy__sockaddr local;
    socklen_t len = sizeof local;
    int64_t flags = 0;
    if (getsockname(fd, &local.sa, &len) == 0 && local.sa.sa_family == AF_UNIX)
        flags |= S_UNIX;
    eddy__sockaddr peer;
    len = sizeof peer;
    if (getpeername(fd, &peer.sa, &len) == 0) {
        flags |= S_CONNECTED;
        if (eddy__socket_cache_address(peer_out, &peer, len))
            flags |= S_PEER_CACHED;
    } else if (errno != ENOTCONN) {
        return -1;
    }
    return flags;
}

eddy_socket *eddy_socket_new(eddy_loop *loop, const eddy_socket_options *opts)
{
    if (!loop)
        return NULL;
#ifdef EDDY_NO_UNIX
    if (opts && opts->type && strcmp(opts->type, "unix") == 0)
        return NULL; /* no UNIX sockets in this build */
#endif
    /* Zero-initialised options are the defaults: fd 0 is wrapped only with use_fd. */
    int fd = opts && (opts->use_fd || opts->fd > 0) ? opts->fd : -1;
    int64_t kind = 0;
    eddy__inaddr peer;
    if (fd >= 0) {
        kind = wrapped_fd_kind(fd, &peer);
        if (kind < 0 || eddy__fd_prepare(fd) < 0)
            return NULL;
    }
    eddy_socket *s = eddy__socket_alloc(loop);
    if (!s)
        return NULL;
    if (opts) {
        if (opts->allow_half_open)
            s->flags |= S_HALF_OPEN;
        if (opts->high_water_mark &&
            eddy__socket_set_high_water_mark(s, opts->high_water_mark) == -ENOMEM) {
            /* As when the socket itself cannot be made (a wrapped fd stays the caller's). */
            socket_free_unused(s);
            return NULL;
        }
        if (opts->type && strcmp(opts->type, "unix") == 0)
            s->flags |= S_UNIX;
    }
    if (fd >= 0) {
        s->io.fd = fd;
        s->flags |= (uint32_t)kind;
        if (kind & S_PEER_CACHED)
            s->peer = peer;
        eddy__socket_sync_reading(s);
        eddy__socket_sync_ref(s);
    }
    return s;
}

/* ---- destroying ---- */

/* Stops all I/O at once; 'error' (when err) and 'close' follow from the loop, and the fd
 * is closed after 'close'. */
void eddy__socket_destroy(eddy_socket *s, int err, uint8_t call)
{
    if (socket_has(s, S_DESTROYED))
        return;
    s->flags |= S_DESTROYED;
    if (err) {
        s->error = (int16_t)err; /* errno and EDDY_EAI_* codes fit */
        s->error_call = call;
    }
    /* No more events; the fd itself is closed after 'close' was emitted, so the
     * addresses can still be read there (from the kernel, only if asked) and no
     * getsockname is spent on sockets whose addresses nobody reads. Set with or without
     * an fd: the word held direct_write_iteration until now (net_internal.h). */
    s->closing_fd = s->io.fd >= 0 ? s->io.fd : -1;
    if (s->io.fd >= 0)
        eddy__io_close(&s->io);
    if (s->rare) {
        eddy__timer_stop(&s->rare->timer);
        if (s->rare->lookup)
            eddy__socket_lookup_stop(s);
    }
    eddy__socket_cancel_writes(s, -ECANCELED);
    eddy__socket_sync_ref(s);
    socket_schedule_tick(s);
}

void eddy_socket_destroy(eddy_socket *s)
{
    if (s)
        eddy__socket_destroy(s, 0, CALL_NONE);
}

void eddy_socket_reset_and_destroy(eddy_socket *s)
{
    if (!s)
        return;
    if (socket_has(s, S_DESTROYED))
        return;
    if (s->io.fd < 0) {
        /* Never connected: Node destroys it with ERR_SOCKET_CLOSED ("Socket is closed"),
         * which has no errno; -ENOTCONN here, without a syscall. */
        eddy__socket_destroy(s, -ENOTCONN, CALL_NONE);
        return;
    }
    if (socket_has(s, S_CONNECTED) && !socket_has(s, S_UNIX)) {
        /* SO_LINGER with a zero timeout: close(2) sends a reset (RST) instead of a FIN,
         * and the peer's next read or write fails with ECONNRESET. */
        struct linger l = {.l_onoff = 1, .l_linger = 0};
        setsockopt(s->io.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    eddy__socket_destroy(s, 0, CALL_NONE);
}

#ifndef EDDY_NO_CONNECT /* a reconnect from 'close' is a connect */
bool eddy__socket_revive(eddy_socket *s)
{
    if (!socket_has(s, S_IN_CLOSE) || !socket_has(s, S_DESTROYED))
        return false;
    if (s->closing_fd >= 0)
        close(s->closing_fd);
    /* Alive again, the word is direct_write_iteration: 0 as in a new socket, not the fd
     * (or -1) left there, which would read as the iteration of a direct write and hold
     * the first write of that iteration. */
    s->direct_write_iteration = 0;
    if (s->server) {
        /* The accepted connection is over for its server; the socket is the user's now. */
        eddy__server_connection_closed(s->server);
        s->server = NULL;
    }
    /* Options and the encoding survive, as in Node; state and addresses do not. */
    s->flags &= S_REFERENCED | S_HALF_OPEN | S_NO_DELAY | S_KEEPALIVE | S_DECODING | S_IN_CLOSE;
    s->error = 0;
    s->error_call = CALL_NONE;
    s->peer.sa.sa_family = 0;
    s->bytes_read = s->bytes_written = 0; /* Node: counted per connection */
    s->corked = 0;
    if (s->rare) {
        eddy__free(s->rare->path);
        s->rare->path = NULL;
        eddy__socket_lookup_free(s);
    }
    if (s->rare)
        eddy__decoder_init(&s->rare->decoder, s->rare->decoder.enc);
    return true;
}
#endif

/* Both directions are done: the socket closes by itself (Node's autoDestroy). */
void eddy__socket_maybe_close(eddy_socket *s)
{
    if (socket_has(s, S_READ_ENDED) && socket_has(s, S_SHUT))
        eddy__socket_destroy(s, 0, CALL_NONE);
}

/* The pending phase: 'connect' of an immediate connection, write callbacks, 'drain',
 * 'finish', then 'error' and 'close' of a destroyed socket, in Node's order. */
static void socket_tick(eddy__deferred *d)
{
    eddy_socket *s = EDDY__CONTAINER_OF(d, eddy_socket, tick);
    if (socket_has(s, S_CONNECT_PENDING)) {
        s->flags &= ~S_CONNECT_PENDING;
        if (!socket_has(s, S_DESTROYED))
            eddy__socket_connected(s);
    }
    if (socket_has(s, S_FLUSH_PENDING)) {
        s->flags &= ~S_FLUSH_PENDING;
        if (!socket_has(s, S_DESTROYED) && !ring_empty(&s->writes))
            eddy__socket_flush_writes(s);
    }
    eddy__socket_run_write_callbacks(s);
    if (socket_has(s, S_DRAIN_PENDING)) {
        s->flags &= ~S_DRAIN_PENDING;
        if (!socket_has(s, S_DESTROYED))
            eddy__emit_id(&s->emitter, EDDY__EV_DRAIN, NULL);
    }
    if (socket_has(s, S_FINISH_PENDING)) {
        /* Our FIN is out and everything before it was flushed ('finish' comes even when
         * the socket closes right after, as both directions are then done). */
        s->flags &= ~S_FINISH_PENDING;
        eddy__emit_id(&s->emitter, EDDY__EV_FINISH, NULL);
        if (!socket_has(s, S_DESTROYED))
            eddy__socket_maybe_close(s); /* the peer had ended first: now it closes */
    }
    if (!socket_has(s, S_DESTROYED) || socket_has(s, S_CLOSE_EMITTED))
        return;
    if (eddy__deferred_queued(&s->tick))
        return; /* a listener above queued more: finish in that run */
    s->flags |= S_CLOSE_EMITTED;
    if (s->error)
        emit_error(s, s->error, s->error_call);
    eddy_event ev = {0};
    ev.u.had_error = s->error != 0;
    s->flags |= S_IN_CLOSE;
    eddy__emit_id(&s->emitter, EDDY__EV_CLOSE, &ev);
    s->flags &= ~S_IN_CLOSE;
    if (!socket_has(s, S_DESTROYED))
        return; /* a 'close' listener connected it again: it lives on */
    if (s->closing_fd >= 0) {
        close(s->closing_fd);
        s->closing_fd = -1;
    }
    if (s->server)
        eddy__server_connection_closed(s->server);
    eddy__release(s->io.loop, &s->tick, eddy__socket_release);
}

/* ---- flow control, options, state ---- */

static void set_paused(eddy_socket *s, bool paused)
{
    if (!s)
        return;
    s->flags = paused ? s->flags | S_PAUSED : s->flags & ~S_PAUSED;
    eddy__socket_sync_reading(s);
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
    if (socket_has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    if (ms == 0) {
        if (s->rare) {
            s->rare->timeout_ns = 0;
            eddy__timer_stop(&s->rare->timer);
        }
    } else {
        if (!eddy__socket_rare(s))
            return -ENOMEM;
        uint64_t now = eddy__clock_ns();
        uint64_t timeout_ns = ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2 : ms * 1000000u;
        if (eddy__timer_start_at(&s->rare->timer, now + timeout_ns, idle_fire, s) < 0)
            return -ENOMEM; /* the heap could not grow: no timeout is set */
        s->rare->timeout_ns = timeout_ns;
        s->rare->last_active_ns = now;
    }
    /* Added last, so that a failure above leaves no listener behind (the timer cannot
     * fire before this call returns). */
    if (on_timeout) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_TIMEOUT, on_timeout, ctx, true);
        if (err < 0) {
            if (s->rare) {
                s->rare->timeout_ns = 0;
                eddy__timer_stop(&s->rare->timer);
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
    if (socket_has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    s->flags = no_delay ? s->flags | S_NO_DELAY : s->flags & ~S_NO_DELAY;
    return apply_no_delay(s);
}

int eddy_socket_set_keep_alive(eddy_socket *s, bool enable, uint64_t initial_delay_ms)
{
    if (!s)
        return -EINVAL;
    if (socket_has(s, S_DESTROYED))
        return 0; /* Node: harmless on a closed socket */
    /* TCP_KEEPIDLE counts whole seconds, truncated as Node does; under one second the
     * system's default stands (0: not set). A delay is kept in s->rare (few sockets have
     * one), which may fail to be allocated: -ENOMEM, nothing changed. */
    uint64_t secs = initial_delay_ms / 1000;
    if (secs || (s->rare && s->rare->keepalive_s)) {
        struct socket_rare *rare = eddy__socket_rare(s);
        if (!rare)
            return -ENOMEM;
        rare->keepalive_s = secs > INT_MAX ? INT_MAX : (uint32_t)secs;
    }
    s->flags = enable ? s->flags | S_KEEPALIVE : s->flags & ~S_KEEPALIVE;
    return apply_keep_alive(s);
}

int eddy_socket_set_encoding(eddy_socket *s, eddy_encoding enc)
{
    if (!s || !eddy__encoding_valid((int)enc))
        return -EINVAL;
#ifdef EDDY_NO_ENCODINGS
    if (enc != EDDY_ENC_BUFFER)
        return -ENOSYS;
#endif
    /* A fresh decoder, as Node's Readable.setEncoding makes one: bytes are never held
     * between reads here (eddy does not read ahead), so nothing pending is lost. */
    if (enc == EDDY_ENC_BUFFER && !s->rare) {
        s->flags &= ~S_DECODING; /* bytes: no decoder to make */
        return 0;
    }
    struct socket_rare *rare = eddy__socket_rare(s);
    if (!rare)
        return -ENOMEM;
    eddy__decoder_init(&rare->decoder, enc);
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
    if (socket_has(s, S_UNIX))
        return live_address(s, out, true);
    if (!socket_has(s, S_PEER_CACHED))
        return -ENOTCONN;
    eddy__sockaddr sa; /* aligned for eddy__sockaddr, which the compact form is not */
    memcpy(&sa, &s->peer, eddy__inaddr_len(&s->peer));
    eddy__address_from_sockaddr(out, &sa, eddy__inaddr_len(&s->peer));
    return 0;
}

int eddy_socket_address(const eddy_socket *s, eddy_address *out)
{
    if (!s || !out)
        return -EINVAL;
    if (!socket_has(s, S_UNIX | S_CONNECTED | S_CONNECTING))
        return -ENOTCONN;
    /* Asked of the kernel each time (Node caches it; eddy keeps no copy per connection):
     * the fd stays open until 'close' has been emitted, and a TCP socket keeps its local
     * address after a reset. */
    int r = live_address(s, out, false);
    return r == 0 || socket_has(s, S_UNIX) ? r : -ENOTCONN;
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
    eddy__socket_sync_ref(s);
}

void eddy_socket_ref(eddy_socket *s)
{
    set_referenced(s, true);
}

void eddy_socket_unref(eddy_socket *s)
{
    set_referenced(s, false);
}

/* ---- state, as Node's properties ---- */

bool eddy_socket_destroyed(const eddy_socket *s)
{
    return !s || socket_has(s, S_DESTROYED);
}

bool eddy_socket_connecting(const eddy_socket *s)
{
    return s && socket_has(s, S_CONNECTING);
}

bool eddy_socket_pending(const eddy_socket *s)
{
    /* Node: !this._handle || this.connecting */
    return !s || s->io.fd < 0 || socket_has(s, S_CONNECTING);
}

/* Node: a new Socket is readable and writable before any connect. */
bool eddy_socket_readable(const eddy_socket *s)
{
    return s && !socket_has(s, S_READ_ENDED | S_DESTROYED);
}

bool eddy_socket_writable(const eddy_socket *s)
{
    return s && !socket_has(s, S_END_CALLED | S_DESTROYED);
}

const char *eddy_socket_ready_state(const eddy_socket *s)
{
    if (s && socket_has(s, S_CONNECTING) && !socket_has(s, S_DESTROYED))
        return "opening";
    bool r = eddy_socket_readable(s), w = eddy_socket_writable(s);
    return r && w ? "open" : r ? "readOnly" : w ? "writeOnly" : "closed";
}

size_t eddy_socket_writable_length(const eddy_socket *s)
{
    return s ? s->queued : 0;
}

int eddy_socket_fd(const eddy_socket *s)
{
    if (!s)
        return -EINVAL;
    return s->io.fd >= 0 ? s->io.fd : -EBADF;
}

eddy_server *eddy_socket_server(const eddy_socket *s)
{
    return s ? s->server : NULL;
}
