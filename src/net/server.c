/* net.Server.
 *
 * A server can listen, fail, close and listen again (Node's EADDRINUSE retry recipe), so
 * its memory is not tied to one listening socket: it is released after a 'close' event
 * once its listeners returned without listening again. 'listening', the 'error' of a
 * failed listen and 'close' are all emitted from the loop's pending phase.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "net_internal.h"

enum {
    DEFAULT_BACKLOG = 511,
    ACCEPTS_PER_WAKEUP = 64, /* a flood of connections cannot starve the other fds */
    EMFILE_RETRY_MS = 100,
};

struct eddy_server {
    eddy_emitter emitter; /* first: eddy_emitter_of(server) */
    eddy_loop *loop;
    eddy__io io;
    eddy_server_options opts;
    size_t connections, max_connections;
    bool referenced, holds_ref;
    bool close_requested;
    bool listening_pending, error_pending;
    int listen_error;
    int reserve_fd;  /* spent to shed a connection when out of descriptors */
    char *unix_path; /* unlinked on close, as Node does */
    eddy__sockaddr bound;
    socklen_t bound_len;
    eddy__deferred tick;
    struct eddy_timer accept_retry;
};

static void server_on_io(eddy__io *io, unsigned revents);
static void server_tick(eddy__deferred *d);
static void server_release(eddy__deferred *d);

eddy_loop *eddy__server_loop(const eddy_server *s)
{
    return s->loop;
}

bool eddy__server_specific_address(const eddy_server *s, eddy__sockaddr *out, socklen_t *len)
{
    const eddy__sockaddr *b = &s->bound;
    if (s->bound_len == 0)
        return false;
    if (b->sa.sa_family == AF_INET && b->in4.sin_addr.s_addr == htonl(INADDR_ANY))
        return false;
    if (b->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&b->in6.sin6_addr))
        return false;
    memcpy(out, b, s->bound_len);
    *len = s->bound_len;
    return true;
}

static void sync_ref(eddy_server *s)
{
    bool want = s->referenced && s->io.fd >= 0;
    if (want == s->holds_ref)
        return;
    s->holds_ref = want;
    if (want)
        eddy__loop_ref(s->loop);
    else
        eddy__loop_unref(s->loop);
}

static void server_uncaught(const eddy_event *ev, void *ctx)
{
    eddy_server *s = ctx;
    if (!eddy__uncaught_to_hook(s->loop, ev, "server"))
        eddy_server_close(s, NULL, NULL);
}

eddy_server *eddy_create_server(eddy_loop *loop, const eddy_server_options *opts,
                                eddy_listener on_connection, void *ctx)
{
    if (!loop)
        return NULL;
    eddy_server *s = eddy__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->loop = loop;
    eddy__emitter_init(&s->emitter, s, server_uncaught, s);
    if (on_connection &&
        eddy__on_id(&s->emitter, EDDY__EV_CONNECTION, on_connection, ctx, false) < 0) {
        eddy__free(s);
        return NULL;
    }
    if (opts)
        s->opts = *opts;
    if (s->opts.backlog <= 0)
        s->opts.backlog = DEFAULT_BACKLOG;
    eddy__io_init(&s->io, loop, -1, server_on_io);
    s->referenced = true;
    s->reserve_fd = -1;
    eddy__deferred_init(&s->tick, server_tick);
    eddy__timer_init(&s->accept_retry, loop);
    eddy__timer_set_ref(&s->accept_retry, false);
    eddy__handle_add(loop);
    return s;
}

static void server_release(eddy__deferred *d)
{
    eddy_server *s = EDDY__CONTAINER_OF(d, eddy_server, tick);
    eddy__emitter_dispose(&s->emitter);
    eddy__handle_remove(s->loop);
    eddy__free(s);
}

static bool listening_or_pending(const eddy_server *s)
{
    return s->io.fd >= 0;
}

static void maybe_emit_close(eddy_server *s)
{
    if (s->close_requested && !listening_or_pending(s) && s->connections == 0)
        eddy__defer(s->loop, &s->tick);
}

static void server_tick(eddy__deferred *d)
{
    eddy_server *s = EDDY__CONTAINER_OF(d, eddy_server, tick);
    if (s->listening_pending) {
        s->listening_pending = false;
        eddy__emit_id(&s->emitter, EDDY__EV_LISTENING, NULL);
    }
    if (s->error_pending) {
        s->error_pending = false;
        eddy_event ev = {0};
        ev.u.error.code = s->listen_error;
        ev.u.error.syscall = "listen";
        eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
    }
    if (!s->close_requested || listening_or_pending(s) || s->connections > 0)
        return;
    /* A listener above may have queued this tick again (a close from 'listening'): the
     * close happens now. */
    eddy__defer_cancel(&s->tick);
    s->close_requested = false;
    eddy__emit_id(&s->emitter, EDDY__EV_CLOSE, NULL);
    /* A 'close' listener may listen again (or close again): then the server lives on. */
    if (listening_or_pending(s) || s->close_requested || eddy__deferred_queued(&s->tick))
        return;
    eddy__release(s->loop, &s->tick, server_release);
}

static void listen_failed(eddy_server *s, int err)
{
    s->listen_error = err;
    s->error_pending = true;
    eddy__defer(s->loop, &s->tick);
}

/* The fd is bound: start accepting, and 'listening' follows from the loop. */
static void listen_started(eddy_server *s, int fd)
{
    eddy__io_init(&s->io, s->loop, fd, server_on_io);
    eddy__io_start(&s->io, EDDY__READABLE);
    s->bound_len = sizeof s->bound;
    if (getsockname(fd, &s->bound.sa, &s->bound_len) < 0)
        s->bound_len = 0;
    /* One descriptor kept in reserve: see server_shed_connection. */
    if (s->reserve_fd < 0)
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    sync_ref(s);
    s->listening_pending = true;
    eddy__defer(s->loop, &s->tick);
}

static int bind_and_listen(eddy_server *s, const eddy__sockaddr *addr, socklen_t len)
{
    int fd = socket(addr->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (addr->sa.sa_family != AF_UNIX) {
        /* Every listening socket: a restarted server binds at once even while old
         * connections sit in TIME_WAIT. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
        if (s->opts.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            int err = -errno;
            close(fd);
            return err;
        }
#endif
        /* "::" accepts IPv4 too (mapped) unless ipv6_only: Node's dual-stack default. */
        if (addr->sa.sa_family == AF_INET6) {
            int v6only = s->opts.ipv6_only;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        }
    }
    if (bind(fd, &addr->sa, len) < 0 || listen(fd, s->opts.backlog) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    listen_started(s, fd);
    return 0;
}

static int listen_common(eddy_server *s, eddy_listener on_listening, void *ctx)
{
    if (!s)
        return -EINVAL;
    if (listening_or_pending(s))
        return -EINVAL;
    if (on_listening)
        return eddy__on_id(&s->emitter, EDDY__EV_LISTENING, on_listening, ctx, true);
    return 0;
}

int eddy_server_listen(eddy_server *s, int port, const char *host, eddy_listener on_listening,
                       void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
    if (!s || port < 0 || port > 65535)
        return -EINVAL;
    bool any = !host || !*host;
    if (eddy__sockaddr_from_host(&addr, &len, host, port, true, true) < 0)
        return -EINVAL;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0)
        return err;
    err = bind_and_listen(s, &addr, len);
    if (any && (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL)) {
        /* No IPv6 on this machine: the IPv4 any-address, as Node does. */
        eddy__sockaddr_from_host(&addr, &len, "0.0.0.0", port, true, false);
        err = bind_and_listen(s, &addr, len);
    }
    if (err < 0)
        listen_failed(s, err);
    return 0;
}

int eddy_server_listen_path(eddy_server *s, const char *path, eddy_listener on_listening, void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
    if (!s || eddy__sockaddr_from_path(&addr, &len, path) < 0)
        return -EINVAL;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0)
        return err;
    err = bind_and_listen(s, &addr, len);
    if (err < 0) {
        listen_failed(s, err);
        return 0;
    }
    size_t n = strlen(path);
    eddy__free(s->unix_path);
    s->unix_path = eddy__malloc(n + 1);
    if (s->unix_path)
        memcpy(s->unix_path, path, n + 1);
    return 0;
}

int eddy_server_listen_fd(eddy_server *s, int fd, eddy_listener on_listening, void *ctx)
{
    if (!s || fd < 0)
        return -EINVAL;
    int type;
    socklen_t tlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM)
        return -EINVAL;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0)
        return err;
    err = eddy__fd_prepare(fd);
    if (!err && listen(fd, s->opts.backlog) < 0)
        err = -errno;
    if (err < 0) {
        listen_failed(s, err);
        return 0;
    }
    listen_started(s, fd);
    return 0;
}

/* Stops accepting: the listening fd is closed at once. */
static void stop_listening(eddy_server *s)
{
    if (s->io.fd < 0)
        return;
    int fd = s->io.fd;
    eddy__io_close(&s->io);
    close(fd);
    eddy__timer_stop(&s->accept_retry);
    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        s->reserve_fd = -1;
    }
    if (s->unix_path) {
        unlink(s->unix_path);
        eddy__free(s->unix_path);
        s->unix_path = NULL;
    }
    s->listening_pending = false; /* Node: no 'listening' once closed */
    sync_ref(s);
}

int eddy_server_close(eddy_server *s, eddy_listener on_close, void *ctx)
{
    if (!s)
        return -EINVAL;
    if (!listening_or_pending(s)) {
        /* Node: "Server is not running", and 'close' is still emitted: that is also how a
         * server that never listened, or whose listen failed, is released. */
        s->close_requested = true;
        maybe_emit_close(s);
        return -ENOTCONN;
    }
    if (on_close) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_CLOSE, on_close, ctx, true);
        if (err < 0)
            return err;
    }
    stop_listening(s);
    s->close_requested = true;
    maybe_emit_close(s);
    return 0;
}

/* ---- accepting ---- */

static void accept_retry_fire(void *arg)
{
    eddy_server *s = arg;
    if (s->io.fd >= 0)
        eddy__io_start(&s->io, EDDY__READABLE);
}

/* Out of descriptors (EMFILE/ENFILE) with a connection pending: the readiness stays
 * on (level-triggered), so ignoring it would spin, and waiting would leave the client
 * hanging. Free the reserve descriptor, accept the connection and close it at once (the
 * client sees a reset or an end), then take the reserve again. Without a reserve,
 * stop watching for a moment instead of spinning. */
static void shed_connection(eddy_server *s)
{
    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        s->reserve_fd = -1;
        int fd;
        while ((fd = accept(s->io.fd, NULL, NULL)) >= 0)
            close(fd);
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (s->reserve_fd >= 0)
            return;
    }
    eddy__io_stop(&s->io, EDDY__READABLE);
    eddy__timer_start(&s->accept_retry, EMFILE_RETRY_MS * 1000000u, accept_retry_fire, s);
}

static void server_on_io(eddy__io *io, unsigned revents)
{
    eddy_server *s = EDDY__CONTAINER_OF(io, eddy_server, io);
    (void)revents;
    for (int i = 0; i < ACCEPTS_PER_WAKEUP && s->io.fd >= 0; i++) {
        eddy__sockaddr peer;
        socklen_t len = sizeof peer;
        int fd = accept4(s->io.fd, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            switch (errno) {
            case EINTR:
            case ECONNABORTED: /* the client gave up before we accepted */
            case EPROTO:
                continue;
            case EMFILE:
            case ENFILE:
                shed_connection(s);
                return;
            default: /* EAGAIN: all accepted; ENOBUFS/ENOMEM: try on the next wakeup */
                return;
            }
        }
        if (s->max_connections && s->connections >= s->max_connections) {
            close(fd); /* over the limit: the client sees the connection end */
            continue;
        }
        eddy_socket *sock = eddy__socket_accepted(s, fd, &peer, len, &s->opts);
        if (!sock) {
            close(fd);
            continue;
        }
        s->connections++;
        eddy_event ev = {0};
        ev.u.socket = sock;
        eddy__emit_id(&s->emitter, EDDY__EV_CONNECTION, &ev);
    }
}

void eddy__server_connection_closed(eddy_server *s)
{
    s->connections--;
    maybe_emit_close(s);
}

/* ---- state ---- */

int eddy_server_address(const eddy_server *s, eddy_address *out)
{
    if (!s || !out)
        return -EINVAL;
    if (s->io.fd < 0 || s->bound_len == 0)
        return -ENOTCONN;
    eddy__address_from_sockaddr(out, &s->bound, s->bound_len);
    return 0;
}

void eddy_server_set_max_connections(eddy_server *s, size_t max)
{
    if (s)
        s->max_connections = max;
}

size_t eddy_server_connections(const eddy_server *s)
{
    return s ? s->connections : 0;
}

void eddy_server_ref(eddy_server *s)
{
    if (!s)
        return;
    s->referenced = true;
    sync_ref(s);
}

void eddy_server_unref(eddy_server *s)
{
    if (!s)
        return;
    s->referenced = false;
    sync_ref(s);
}
