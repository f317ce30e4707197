/* net.Server.
 *
 * A server can listen, fail, close and listen again any number of times (Node's
 * EADDRINUSE retry recipe: on 'error', wait, then close and listen, or listen alone), so
 * its memory is not tied to one listening socket. The rule: the memory goes after the
 * 'close' that follows the last eddy_server_close (or a failure that closed the server),
 * unless a listen call came after that close. A retry that listens again therefore keeps
 * the server alive, however many times it fails; a server the user closed and left alone
 * is released. 'listening', the 'error' of a failed listen and 'close' are emitted from
 * the loop's pending phase, in the order they were caused (Node queues each on nextTick).
 */
/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "net_internal.h"

enum {
    DEFAULT_BACKLOG = 511,
    ACCEPTS_PER_WAKEUP = 64, /* a flood of connections cannot starve the other fds */
    ACCEPT_RETRY_MS = 100,   /* out of descriptors or memory: accept again after this */
};

struct eddy_server {
    eddy_emitter emitter; /* first: eddy_emitter_of(server) */
    eddy_loop *loop;
    eddy__io io;
    eddy_server_options opts;
    size_t connections, max_connections;
    bool referenced, holds_ref;
    bool close_requested; /* 'close' waits for the accepted connections to close */
    bool release_armed;   /* closed, and no listen since: released after 'close' */
    uint8_t due[3];       /* events for the tick, in the order they were caused */
    uint8_t due_len;
    int listen_error;
    const char *listen_syscall;      /* "listen", or "getaddrinfo" */
    char *listen_host;               /* the name a listen looks up (or failed to) */
    struct eddy__lookup_req *lookup; /* listen(port, name): its lookup in flight */
    int lookup_port;
    eddy__sockaddr listen_addr; /* what a failed listen used, for its 'error' */
    socklen_t listen_addr_len;
    int reserve_fd;  /* spent to shed a connection when out of descriptors */
    bool no_accept4; /* the kernel has no accept4 (eddy__sys_accept learnt it) */
    char *unix_path; /* unlinked on close, as Node does */
    eddy__sockaddr bound;
    socklen_t bound_len;
    eddy__deferred tick;
    struct eddy_timer accept_retry;
};

enum { DUE_LISTENING = 1, DUE_LISTEN_ERROR, DUE_CLOSE };

static void server_on_io(eddy__io *io, unsigned revents);
static void server_tick(eddy__deferred *d);
static void server_release(eddy__deferred *d);

eddy_loop *eddy__server_loop(const eddy_server *s)
{
    return s->loop;
}

bool eddy_server_listening(const eddy_server *s)
{
    return s && s->io.fd >= 0;
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

static void server_close(eddy_server *s);
static void take_reserve(eddy_server *s);
static void server_fail(eddy_server *s, int err, const char *syscall);

static void server_diagnostic(const eddy_diagnostic *d, void *ctx)
{
    eddy_server *s = ctx;
    if (!eddy__diagnostic_to_hook(s->loop, d, "server"))
        server_close(s);
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
    eddy__emitter_init_diag(&s->emitter, server_diagnostic); /* ctx: s */
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
    eddy__free(s->listen_host);
    eddy__free(s);
}

static bool listening(const eddy_server *s)
{
    return s->io.fd >= 0;
}

static void due_add(eddy_server *s, uint8_t what)
{
    for (unsigned i = 0; i < s->due_len; i++)
        if (s->due[i] == what)
            return;
    s->due[s->due_len++] = what;
    eddy__defer(s->loop, &s->tick);
}

static void due_remove(eddy_server *s, uint8_t what)
{
    unsigned j = 0;
    for (unsigned i = 0; i < s->due_len; i++)
        if (s->due[i] != what)
            s->due[j++] = s->due[i];
    s->due_len = (uint8_t)j;
}

/* Node's _emitCloseIfDrained: 'close' is due once nothing is listening and every
 * accepted connection has closed. */
static void close_if_drained(eddy_server *s)
{
    if (s->close_requested && !listening(s) && s->connections == 0) {
        s->close_requested = false;
        due_add(s, DUE_CLOSE);
    }
}

static void server_tick(eddy__deferred *d)
{
    eddy_server *s = EDDY__CONTAINER_OF(d, eddy_server, tick);
    while (s->due_len > 0) {
        uint8_t what = s->due[0];
        due_remove(s, what);
        eddy_event ev = {0};
        switch (what) {
        case DUE_LISTENING:
            eddy__emit_id(&s->emitter, EDDY__EV_LISTENING, NULL);
            break;
        case DUE_LISTEN_ERROR: {
            /* Node's err.address / err.port: the address the listen asked for. */
            eddy_address a;
            ev.u.error.code = s->listen_error;
            ev.u.error.syscall = s->listen_syscall;
            ev.u.error.port = -1;
            if (s->listen_syscall && strcmp(s->listen_syscall, "getaddrinfo") == 0)
                ev.u.error.hostname = s->listen_host; /* Node's err.hostname */
            if (s->listen_addr_len) {
                eddy__address_from_sockaddr(&a, &s->listen_addr, s->listen_addr_len);
                ev.u.error.address = a.address;
                if (s->listen_addr.sa.sa_family != AF_UNIX)
                    ev.u.error.port = a.port;
            }
            eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
            break;
        }
        case DUE_CLOSE:
            eddy__emit_id(&s->emitter, EDDY__EV_CLOSE, NULL);
            break;
        }
    }
    /* Released only when the user closed it and has not listened since (a listener above
     * may have listened again, or closed again: then it is decided by what comes next). */
    eddy__defer_cancel(&s->tick);
    if (s->release_armed && !listening(s) && !s->close_requested && s->connections == 0)
        eddy__release(s->loop, &s->tick, server_release);
}

static void listen_failed(eddy_server *s, int err, const eddy__sockaddr *addr, socklen_t len)
{
    s->listen_error = err;
    s->listen_syscall = "listen";
    s->listen_addr_len = addr ? len : 0;
    if (addr)
        memcpy(&s->listen_addr, addr, len);
    due_add(s, DUE_LISTEN_ERROR);
}

/* The fd is bound: start accepting, and 'listening' follows from the loop. */
static void listen_started(eddy_server *s, int fd)
{
    eddy__io_init(&s->io, s->loop, fd, server_on_io);
    eddy__io_start(&s->io, EDDY__READABLE);
    s->bound_len = sizeof s->bound;
    if (getsockname(fd, &s->bound.sa, &s->bound_len) < 0)
        s->bound_len = 0;
    take_reserve(s); /* see shed_connection */
    sync_ref(s);
    due_add(s, DUE_LISTENING);
}

/* readable_all / writable_all: the socket file's mode gains read (write) for everyone, as
 * libuv's uv_pipe_chmod does for Node. 0, or -1 with errno. */
static int unix_file_mode(const eddy_server *s, const eddy__sockaddr *addr)
{
#ifdef EDDY_NO_UNIX
    (void)s, (void)addr; /* never a UNIX address: no stat, no chmod in the program */
    return 0;
#else
    if (addr->sa.sa_family != AF_UNIX || !(s->opts.readable_all || s->opts.writable_all))
        return 0;
    struct stat st;
    if (stat(addr->un.sun_path, &st) < 0)
        return -1;
    mode_t want = (s->opts.readable_all ? S_IRUSR | S_IRGRP | S_IROTH : 0) |
                  (s->opts.writable_all ? S_IWUSR | S_IWGRP | S_IWOTH : 0);
    if ((st.st_mode & want) == want)
        return 0;
    return chmod(addr->un.sun_path, (st.st_mode | want) & 07777);
#endif
}

static int bind_and_listen(eddy_server *s, const eddy__sockaddr *addr, socklen_t len)
{
    int fd = eddy__sys_socket(addr->sa.sa_family);
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
    if (bind(fd, &addr->sa, len) < 0 || unix_file_mode(s, addr) < 0 ||
        listen(fd, s->opts.backlog) < 0) {
        int err = -errno;
#ifndef EDDY_NO_UNIX
        if (addr->sa.sa_family == AF_UNIX && errno != EADDRINUSE)
            unlink(addr->un.sun_path); /* bound by us: not a file of someone else's */
#endif
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
    if (listening(s) || s->lookup)
        return -EINVAL;
    if (on_listening) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_LISTENING, on_listening, ctx, true);
        if (err < 0)
            return err;
    }
    /* Listening again after a close (the retry recipe): the user keeps the server. */
    s->release_armed = false;
    return 0;
}

/* listen(port, name): the name's first address (Node's dns.lookup), or 'error'. */
static void listen_lookup_done(struct eddy__lookup_req *req, void *owner)
{
    eddy_server *s = owner;
    s->lookup = NULL;
    int err = req->err ? req->err : req->count ? 0 : EDDY_ENOTFOUND;
    if (err) {
        s->listen_error = err;
        s->listen_syscall = "getaddrinfo";
        s->listen_addr_len = 0;
        due_add(s, DUE_LISTEN_ERROR);
        return;
    }
    eddy__sockaddr addr;
    memset(&addr, 0, sizeof addr);
    socklen_t len;
    if (req->addrs[0].sa.sa_family == AF_INET6) {
        len = sizeof addr.in6;
        memcpy(&addr, &req->addrs[0], len);
        addr.in6.sin6_port = htons((uint16_t)s->lookup_port);
    } else {
        len = sizeof addr.in4;
        memcpy(&addr, &req->addrs[0], len);
        addr.in4.sin_port = htons((uint16_t)s->lookup_port);
    }
    err = bind_and_listen(s, &addr, len);
    if (err < 0)
        listen_failed(s, err, &addr, len);
}

static int listen_name(eddy_server *s, int port, const char *host, eddy_listener on_listening,
                       void *ctx)
{
    char *copy = eddy__strdup(host);
    if (!copy)
        return -ENOMEM;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0) {
        eddy__free(copy);
        return err;
    }
    eddy__free(s->listen_host);
    s->listen_host = copy;
    s->lookup_port = port;
    s->lookup = eddy__lookup_start(s->loop, host, 0, false, listen_lookup_done, s, &err);
    if (!s->lookup) {
        s->listen_error = err;
        s->listen_syscall = "getaddrinfo";
        s->listen_addr_len = 0;
        due_add(s, DUE_LISTEN_ERROR);
    }
    return 0;
}

int eddy_server_listen(eddy_server *s, int port, const char *host, eddy_listener on_listening,
                       void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
    if (!s || port < 0 || port > 65535 || s->lookup)
        return -EINVAL;
    bool any = !host || !*host;
    if (!any && eddy__ip_family(host) == 0) {
        if (listening(s))
            return -EINVAL;
        return listen_name(s, port, host, on_listening, ctx);
    }
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
        listen_failed(s, err, &addr, len);
    return 0;
}

int eddy_server_listen_path(eddy_server *s, const char *path, eddy_listener on_listening, void *ctx)
{
    eddy__sockaddr addr;
    socklen_t len;
#ifdef EDDY_NO_UNIX
    (void)addr, (void)len, (void)path, (void)on_listening, (void)ctx;
    return s ? -ENOSYS : -EINVAL;
#else
    if (!s || eddy__sockaddr_from_path(&addr, &len, path) < 0)
        return -EINVAL;
    /* The path is copied first: without the copy, close could not unlink the file. */
    char *copy = eddy__strdup(path);
    if (!copy)
        return -ENOMEM;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0) {
        eddy__free(copy);
        return err;
    }
    err = bind_and_listen(s, &addr, len);
    if (err < 0) {
        eddy__free(copy);
        listen_failed(s, err, &addr, len);
        return 0;
    }
    eddy__free(s->unix_path);
    s->unix_path = copy;
    return 0;
#endif
}

int eddy_server_listen_fd(eddy_server *s, int fd, eddy_listener on_listening, void *ctx)
{
    if (!s || fd < 0)
        return -EINVAL;
    int err = listen_common(s, on_listening, ctx);
    if (err < 0)
        return err;
    /* What the fd is, Node finds out when it listens: an 'error' from the loop (a pipe or
     * a tty: ENOTSOCK; a regular file: EINVAL, as Node reports; a datagram socket or a
     * connected one: EINVAL), not a return code. */
    int type;
    socklen_t tlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
#ifdef EDDY_NO_PIPE_TTY
        err = -errno; /* a regular file too is ENOTSOCK: no fstat in this build */
#else
        struct stat st;
        err = errno == ENOTSOCK && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? -EINVAL : -errno;
#endif
    } else if (type != SOCK_STREAM) {
        err = -EINVAL;
    } else {
        err = eddy__fd_prepare(fd);
        if (!err && listen(fd, s->opts.backlog) < 0)
            err = -errno;
    }
    if (err < 0) {
        listen_failed(s, err, NULL, 0);
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
#ifndef EDDY_NO_UNIX /* else unix_path is never set */
    if (s->unix_path) {
        unlink(s->unix_path);
        eddy__free(s->unix_path);
        s->unix_path = NULL;
    }
#endif
    due_remove(s, DUE_LISTENING); /* Node: no 'listening' once closed */
    sync_ref(s);
}

/* Closes, as eddy_server_close does: 'close' follows, then the release. */
static void server_close(eddy_server *s)
{
    eddy__lookup_cancel(s->lookup); /* a listen still looking its host up: never listens */
    s->lookup = NULL;
    stop_listening(s);
    s->close_requested = true;
    s->release_armed = true;
    close_if_drained(s);
}

int eddy_server_close(eddy_server *s, eddy_listener on_close, void *ctx)
{
    if (!s)
        return -EINVAL;
    if (on_close) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_CLOSE, on_close, ctx, true);
        if (err < 0)
            return err;
    }
    /* Node: a server that is not running still emits 'close' (its callback gets
     * ERR_SERVER_NOT_RUNNING): -ENOTCONN tells the caller, and on_close runs. */
    int ret = listening(s) ? 0 : -ENOTCONN;
    server_close(s);
    return ret;
}

/* ---- accepting ---- */

/* One descriptor is kept in reserve to shed connections when out of descriptors (see
 * shed_connection). It is taken when listening starts and, whenever it is missing (the
 * server started listening with no descriptor to spare, or a shed could not take it
 * back), again at every chance: after an accept, when a connection closes, when an
 * accept fails with EMFILE/ENFILE. */
static void take_reserve(eddy_server *s)
{
    if (s->reserve_fd < 0 && listening(s))
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void accept_retry_fire(void *arg)
{
    eddy_server *s = arg;
    if (listening(s))
        eddy__io_start(&s->io, EDDY__READABLE);
}

/* Stops watching the listening socket for a moment: for an accept that fails with the
 * connection still pending (out of descriptors, of kernel memory), where the readiness
 * stays on and an immediate retry would spin. */
static void pause_accepting(eddy_server *s)
{
    eddy__io_stop(&s->io, EDDY__READABLE);
    if (eddy__timer_start(&s->accept_retry, ACCEPT_RETRY_MS * 1000000u, accept_retry_fire, s) < 0)
        server_fail(s, -ENOMEM, "accept"); /* no retry possible: never a silent stop */
}

/* Out of descriptors (EMFILE/ENFILE) with a connection pending: the readiness stays
 * on (level-triggered), so ignoring it would spin, and waiting would leave the client
 * hanging. Free the reserve descriptor, accept the pending connections and close them
 * at once (each client sees its connection end instead of waiting), then take the
 * reserve again. Without a reserve, stop watching for a moment instead of spinning and
 * try again (a descriptor may be free by then). */
static void shed_connection(eddy_server *s)
{
    take_reserve(s);
    if (s->reserve_fd >= 0) {
        close(s->reserve_fd);
        s->reserve_fd = -1;
        int fd;
        while ((fd = accept(s->io.fd, NULL, NULL)) >= 0)
            close(fd);
        take_reserve(s);
        if (s->reserve_fd >= 0)
            return;
    }
    pause_accepting(s);
}

/* An error of the listening socket itself: 'error', then the server closes ('close'
 * once its connections closed), unless an 'error' listener listened again. */
static void server_fail(eddy_server *s, int err, const char *syscall)
{
    stop_listening(s);
    eddy_event ev = {0};
    ev.u.error.code = err;
    ev.u.error.syscall = syscall;
    ev.u.error.port = -1;
    eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
    if (!listening(s))
        server_close(s);
}

/* A connection the server cannot take (no memory for its socket): it is dropped, and
 * 'error' says so, so that a connection is never lost without a word. */
static void accept_dropped(eddy_server *s, int fd, int err)
{
    close(fd);
    eddy_event ev = {0};
    ev.u.error.code = err;
    ev.u.error.syscall = "accept";
    ev.u.error.port = -1;
    eddy__emit_id(&s->emitter, EDDY__EV_ERROR, &ev);
}

/* Over max_connections: closed at once (the client sees its connection end), and 'drop'
 * tells who it was (Node v18.6+). */
static void drop_connection(eddy_server *s, int fd, const eddy__sockaddr *peer, socklen_t len)
{
    eddy_address local, remote;
    eddy_event ev = {0};
    if (peer->sa.sa_family != AF_UNIX) {
        eddy__sockaddr self;
        socklen_t self_len = sizeof self;
        if (getsockname(fd, &self.sa, &self_len) == 0) {
            eddy__address_from_sockaddr(&local, &self, self_len);
            ev.u.drop.local = &local;
        }
        eddy__address_from_sockaddr(&remote, peer, len);
        ev.u.drop.remote = &remote;
    }
    close(fd);
    eddy__emit_id(&s->emitter, EDDY__EV_DROP, &ev);
}

static void server_on_io(eddy__io *io, unsigned revents)
{
    eddy_server *s = EDDY__CONTAINER_OF(io, eddy_server, io);
    if (revents & EDDY__IO_FAILED) {
        server_fail(s, eddy__io_error(revents), eddy__io_failed_call());
        return;
    }
    for (int i = 0; i < ACCEPTS_PER_WAKEUP && listening(s); i++) {
        eddy__sockaddr peer;
        socklen_t len = sizeof peer;
        int fd = eddy__sys_accept(s->io.fd, &peer.sa, &len, &s->no_accept4);
        if (fd < 0) {
            switch (errno) {
            case EINTR:
            case ECONNABORTED: /* the client gave up before we accepted */
            /* Linux hands a pending connection's network error to accept, which has
             * consumed that connection: go on with the next (accept(2), "Error handling") */
            case EPROTO:
            case ENETDOWN:
            case ENETUNREACH:
            case EHOSTUNREACH:
            case EHOSTDOWN:
            case ENOPROTOOPT:
#ifdef ENONET
            case ENONET:
#endif
            case EPERM: /* a firewall rule refused this connection */
                continue;
            case EMFILE:
            case ENFILE:
                shed_connection(s);
                return;
            case EAGAIN:
#if EAGAIN != EWOULDBLOCK
            case EWOULDBLOCK:
#endif
                return;
            case ENOBUFS: /* the kernel is short of memory: the connection is still there */
            case ENOMEM:
                /* Level-triggered readiness stays on: returning would spin until memory
                 * is back. Stop watching and try again in a moment instead. */
                pause_accepting(s);
                return;
            default: /* the listening socket itself is broken (EBADF, EINVAL, ENOSYS...) */
                server_fail(s, -errno, "accept");
                return;
            }
        }
        take_reserve(s);
        if (s->max_connections && s->connections >= s->max_connections) {
            drop_connection(s, fd, &peer, len);
            continue;
        }
        eddy_socket *sock = eddy__socket_accepted(s, fd, &peer, len, &s->opts);
        if (!sock) {
            accept_dropped(s, fd, -ENOMEM);
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
    /* Its fd was just closed: the moment to take back a missing reserve descriptor. */
    take_reserve(s);
    close_if_drained(s);
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
