/* net.Socket: connecting (to an address, a name or a UNIX path), and sockets made by a
 * connect.
 *
 * A name: the socket is connecting (Node's connecting, pending, readyState "opening")
 * without a descriptor while the name is looked up (on the loop's worker pool, resolve.c,
 * or by the user's resolver), then 'lookup' is emitted for each address (Node's order),
 * then the addresses are tried. With one address (or no_auto_select_family) this is the
 * connect to an IP literal. With several, Node's autoSelectFamily (happy eyeballs, RFC 8305):
 * the addresses alternate between the families, starting with the family of the first; the
 * next is tried when the current one failed, or after the attempt timeout while the earlier
 * attempts stay open; the first attempt that connects becomes the socket's descriptor and
 * the others are closed; when every attempt failed, 'error' is the last failure. What a
 * lookup needs lives in a struct socket_lookup (allocated for such sockets only, hung on
 * socket_rare), so the socket itself does not grow.
 *
 * EDDY_NO_USER_RESOLVER (eddy/config.h) leaves the user's resolvers out (opts->lookup is
 * -ENOSYS); with EDDY_NO_RESOLVER as well, a name has at most one address ("localhost"),
 * so there is no happy eyeballs either (ONE_ADDRESS): its attempts, their timer and their
 * order are not built. */
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
#include "net_internal.h"
#include "sys.h"

/* EDDY_NO_CONNECT (eddy/config.h): no socket connects, so nothing below is built (no
 * connect(2), no lookup of a name, no happy eyeballs). The calls stay: the socket ones
 * return -ENOSYS (-EINVAL for NULL), the constructors NULL, and nothing else happens.
 * The hooks of socket.c and socket_read.c are empty inlines (net_internal.h). */
#ifdef EDDY_NO_CONNECT
int eddy_socket_connect_opts(eddy_socket *s, const eddy_connect_options *opts,
                             eddy_listener on_connect, void *ctx)
{
    (void)opts, (void)on_connect, (void)ctx;
    return s ? -ENOSYS : -EINVAL;
}

int eddy_socket_connect(eddy_socket *s, int port, const char *host, eddy_listener on_connect,
                        void *ctx)
{
    (void)port, (void)host;
    return eddy_socket_connect_opts(s, NULL, on_connect, ctx);
}

int eddy_socket_connect_path(eddy_socket *s, const char *path, eddy_listener on_connect, void *ctx)
{
    (void)path;
    return eddy_socket_connect_opts(s, NULL, on_connect, ctx);
}

eddy_socket *eddy_connect(eddy_loop *loop, const eddy_connect_options *opts,
                          eddy_listener on_connect, void *ctx)
{
    (void)loop, (void)opts, (void)on_connect, (void)ctx;
    return NULL;
}

eddy_socket *eddy_create_connection(eddy_loop *loop, int port, const char *host,
                                    eddy_listener on_connect, void *ctx)
{
    (void)port, (void)host;
    return eddy_connect(loop, NULL, on_connect, ctx);
}

eddy_socket *eddy_create_connection_path(eddy_loop *loop, const char *path,
                                         eddy_listener on_connect, void *ctx)
{
    (void)path;
    return eddy_connect(loop, NULL, on_connect, ctx);
}

/* EDDY_NO_USER_RESOLVER follows from EDDY_NO_CONNECT (eddy/config.h). */
int eddy_lookup_done(eddy_lookup *req, int err, const char *const *addresses, size_t count)
{
    (void)req, (void)err, (void)addresses, (void)count;
    return -ENOSYS;
}
#else
#if defined(EDDY_NO_RESOLVER) && defined(EDDY_NO_USER_RESOLVER)
#define ONE_ADDRESS 1 /* no lookup can return two addresses */
#endif

/* ---- connecting ---- */

void eddy__socket_connected(eddy_socket *s)
{
    s->flags &= ~S_CONNECTING;
    s->flags |= S_CONNECTED;
    if (s->peer.sa.sa_family)
        s->flags |= S_PEER_CACHED; /* Node: remoteAddress is undefined until 'connect' */
    socket_touch(s);
    eddy__socket_sync_reading(s);
    if (!ring_empty(&s->writes))
        eddy__io_start(&s->io, EDDY__WRITABLE);
    else
        eddy__io_stop(&s->io, EDDY__WRITABLE);
    eddy__emit_id(&s->emitter, EDDY__EV_CONNECT, NULL);
    if (!socket_has(s, S_DESTROYED))
        eddy__emit_id(&s->emitter, EDDY__EV_READY, NULL); /* Node: 'ready' right after */
    /* An end() made before the connection with nothing to flush: send the FIN now. */
    if (socket_has(s, S_END_CALLED) && !socket_has(s, S_DESTROYED | S_SHUT) &&
        ring_empty(&s->writes))
        eddy__io_start(&s->io, EDDY__WRITABLE);
}

void eddy__socket_finish_connect(eddy_socket *s)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == EINPROGRESS)
        return;
    if (err) {
        eddy__socket_destroy(s, -err, CALL_CONNECT);
        return;
    }
    eddy__socket_connected(s);
}

/* Where and how to connect, from eddy_connect_options or the older calls. */
struct connect_target {
    eddy__sockaddr addr;
    socklen_t len;
    const char *host; /* a name to look up (then addr is unset) */
    const char *path; /* a UNIX path, kept for the 'error' of a failed connect */
    eddy__sockaddr local;
    socklen_t local_len; /* 0: no bind (or, for a name, local_port alone) */
    int local_port;
};

/* A UNIX connect fails at once (ENOENT, ECONNREFUSED): its 'error' names the path. */
static void remember_path(eddy_socket *s, const char *path)
{
    struct socket_rare *r = path ? eddy__socket_rare(s) : NULL;
    if (!r)
        return;
    eddy__free(r->path);
    r->path = eddy__strdup(path);
}

static void connect_failed(eddy_socket *s, int err, const char *path)
{
    if (socket_has(s, S_UNIX))
        remember_path(s, path);
    eddy__socket_destroy(s, err, CALL_CONNECT);
}

/* The checks and the state every connect starts with. */
static int connect_begin(eddy_socket *s, eddy_listener on_connect, void *ctx)
{
    /* From its own 'close' listener, a socket may connect again (Node's reconnect). */
    if (socket_has(s, S_DESTROYED) && !eddy__socket_revive(s))
        return -EINVAL;
    if (socket_has(s, S_CONNECTING | S_CONNECTED))
        return -EINVAL;
    if (on_connect) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_CONNECT, on_connect, ctx, true);
        if (err < 0)
            return err;
    }
    s->flags |= S_CONNECTING;
    return 0;
}

/* The connect(2) of a connecting socket to one address. Failures are events. */
static void connect_address(eddy_socket *s, const eddy__sockaddr *addr, socklen_t len,
                            const eddy__sockaddr *local, socklen_t local_len, const char *path)
{
    if (addr->sa.sa_family == AF_UNIX)
        s->flags |= S_UNIX;
    else /* readable once connected, and named by a connect's 'error' */
        eddy__socket_cache_address(&s->peer, addr, len);
    /* A wrapped fd that is not connected yet is used as it is (Node's connect with fd). */
    int fd = s->io.fd >= 0 ? s->io.fd : eddy__sys_socket(addr->sa.sa_family);
    if (fd < 0) {
        /* EMFILE and friends: an 'error' event like every other connect failure */
        connect_failed(s, -errno, path);
        return;
    }
    s->io.fd = fd;
    eddy__socket_sync_ref(s);
    eddy__socket_apply_options(s);
    if (local_len && bind(fd, &local->sa, local_len) < 0) {
        eddy__socket_destroy(s, -errno, CALL_BIND); /* Node: syscall "bind" */
        return;
    }
    int r;
    do
        r = connect(fd, &addr->sa, len);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        /* Done at once (UNIX sockets): 'connect' still comes from the loop. */
        s->flags &= ~S_CONNECTING;
        s->flags |= S_CONNECTED | S_CONNECT_PENDING;
        socket_schedule_tick(s);
        return;
    }
    if (errno == EINPROGRESS || errno == EAGAIN) {
        eddy__io_start(&s->io, EDDY__WRITABLE);
        return;
    }
    connect_failed(s, -errno, path);
}

static int socket_connect_to(eddy_socket *s, const struct connect_target *t,
                             eddy_listener on_connect, void *ctx)
{
    int err = connect_begin(s, on_connect, ctx);
    if (err < 0)
        return err;
    connect_address(s, &t->addr, t->len, &t->local, t->local_len, t->path);
    return 0;
}

/* ---- connecting to a name ---- */

#ifndef ONE_ADDRESS
enum { DEFAULT_ATTEMPT_MS = 250, MIN_ATTEMPT_MS = 10 };

/* One connect(2) of happy eyeballs. Attempts never move in memory (the loop links their
 * watchers): a closed one keeps its slot with io.fd -1. */
struct attempt {
    eddy__io io;
    struct socket_lookup *lookup;
    size_t index; /* in lookup->addrs */
};
#endif

struct socket_lookup {
    eddy_socket *s;
    struct eddy__lookup_req *pool; /* in flight on the worker pool */
#ifndef EDDY_NO_USER_RESOLVER
    struct eddy_lookup *user; /* in flight at the user's resolver */
    eddy__deferred deliver;   /* the user's result, handled from the pending phase */
    int user_err;
#endif
    int port, family;
    eddy__sockaddr local;
    socklen_t local_len;
    int local_port;
    eddy__inaddr *addrs; /* the lookup's result; then the order in which they are tried */
    size_t count;
#ifndef ONE_ADDRESS
    bool single; /* no autoSelectFamily: the first address only */
    uint64_t attempt_ns;
    size_t next;
    struct attempt *attempts; /* count slots, used in order */
    size_t live;              /* attempts connecting */
    struct eddy_timer timer;  /* the attempt timeout */
    int last_err;
    uint8_t last_call;
    size_t last_index;
#endif
    char host[];
};

#ifndef EDDY_NO_USER_RESOLVER
/* A lookup of the user's resolver; separate from the socket, which may go first. */
struct eddy_lookup {
    struct socket_lookup *owner; /* NULL: the socket was destroyed, the result is dropped */
};
#endif

static void inaddr_to_sockaddr(eddy__sockaddr *out, const eddy__inaddr *a, int port)
{
    memset(out, 0, sizeof *out);
    memcpy(out, a, eddy__inaddr_len(a));
    if (a->sa.sa_family == AF_INET6)
        out->in6.sin6_port = htons((uint16_t)port);
    else
        out->in4.sin_port = htons((uint16_t)port);
}

/* The local address for an attempt to this family: the one asked for, or the any-address
 * with local_port. */
static socklen_t attempt_local(const struct socket_lookup *l, int family, eddy__sockaddr *out)
{
    if (l->local_len) {
        memcpy(out, &l->local, l->local_len);
        return l->local_len;
    }
    if (!l->local_port)
        return 0;
    socklen_t len = 0;
    eddy__sockaddr_from_host(out, &len, family == AF_INET6 ? "::" : "0.0.0.0", l->local_port, true,
                             false);
    return len;
}

#ifndef ONE_ADDRESS
static void attempt_close(struct attempt *a)
{
    if (a->io.fd < 0)
        return;
    int fd = a->io.fd;
    eddy__io_close(&a->io);
    close(fd);
    a->lookup->live--;
}

static void attempts_close(struct socket_lookup *l)
{
    eddy__timer_stop(&l->timer);
    for (size_t i = 0; l->attempts && i < l->next; i++)
        attempt_close(&l->attempts[i]);
}

static void attempt_record_failure(struct socket_lookup *l, size_t index, int err, uint8_t call)
{
    l->last_err = err;
    l->last_call = call;
    l->last_index = index;
}

/* Every address failed: 'error' is the last failure, naming its address. */
static void attempts_all_failed(struct socket_lookup *l)
{
    eddy_socket *s = l->s;
    eddy__sockaddr sa;
    inaddr_to_sockaddr(&sa, &l->addrs[l->last_index], l->port);
    eddy__socket_cache_address(&s->peer, &sa, eddy__inaddr_len(&l->addrs[l->last_index]));
    eddy__socket_destroy(s, l->last_err, l->last_call);
}

static void attempt_on_io(eddy__io *io, unsigned revents);
static void attempt_next(struct socket_lookup *l);

static void attempt_timeout(void *arg)
{
    attempt_next(arg);
}

/* Starts the next address that gets as far as connecting; the earlier attempts stay. */
static void attempt_next(struct socket_lookup *l)
{
    eddy_socket *s = l->s;
    eddy__timer_stop(&l->timer);
    while (l->next < l->count) {
        size_t i = l->next++;
        struct attempt *a = &l->attempts[i];
        a->lookup = l;
        a->index = i;
        eddy__io_init(&a->io, s->io.loop, -1, attempt_on_io);
        eddy__sockaddr sa, local;
        inaddr_to_sockaddr(&sa, &l->addrs[i], l->port);
        socklen_t len = eddy__inaddr_len(&l->addrs[i]);
        int fd = eddy__sys_socket(sa.sa.sa_family);
        if (fd < 0) {
            attempt_record_failure(l, i, -errno, CALL_CONNECT);
            continue;
        }
        socklen_t local_len = attempt_local(l, sa.sa.sa_family, &local);
        if (local_len && bind(fd, &local.sa, local_len) < 0) {
            attempt_record_failure(l, i, -errno, CALL_BIND);
            close(fd);
            continue;
        }
        int r;
        do
            r = connect(fd, &sa.sa, len);
        while (r < 0 && errno == EINTR);
        if (r < 0 && errno != EINPROGRESS && errno != EAGAIN) {
            attempt_record_failure(l, i, -errno, CALL_CONNECT);
            close(fd);
            continue; /* Node: a connect that fails at once moves on at once */
        }
        /* Connected at once or in progress: either way writability says how it ended. */
        eddy__io_init(&a->io, s->io.loop, fd, attempt_on_io);
        eddy__io_start(&a->io, EDDY__WRITABLE);
        l->live++;
        /* The timer is only a nudge: without it the next address is tried on failure. */
        if (l->next < l->count)
            eddy__timer_start(&l->timer, l->attempt_ns, attempt_timeout, l);
        return;
    }
    if (l->live == 0)
        attempts_all_failed(l);
}

/* The first attempt to connect: its descriptor becomes the socket's. */
static void attempt_won(struct socket_lookup *l, struct attempt *a)
{
    eddy_socket *s = l->s;
    int fd = a->io.fd;
    eddy__io_close(&a->io);
    l->live--;
    attempts_close(l);
    eddy__sockaddr sa;
    inaddr_to_sockaddr(&sa, &l->addrs[a->index], l->port);
    eddy__socket_cache_address(&s->peer, &sa, eddy__inaddr_len(&l->addrs[a->index]));
    s->io.fd = fd;
    eddy__socket_sync_ref(s);
    eddy__socket_apply_options(s);
    eddy__socket_connected(s);
}

static void attempt_on_io(eddy__io *io, unsigned revents)
{
    struct attempt *a = EDDY__CONTAINER_OF(io, struct attempt, io);
    struct socket_lookup *l = a->lookup;
    int err = 0;
    uint8_t call = CALL_CONNECT;
    if (revents & EDDY__IO_FAILED) {
        err = eddy__io_error(revents);
        call = CALL_IO_WATCH;
    } else {
        socklen_t len = sizeof err;
        if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == EINPROGRESS)
            return;
        err = -err;
    }
    if (err == 0) {
        attempt_won(l, a);
        return;
    }
    attempt_close(a);
    attempt_record_failure(l, a->index, err, call);
    if (l->next < l->count)
        attempt_next(l); /* on failure, the next address at once */
    else if (l->live == 0)
        attempts_all_failed(l);
}

/* Node's order of attempts: no address twice, the families alternating, starting with the
 * family of the first address. Returns how many are left. */
static size_t order_attempts(eddy__inaddr *addrs, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < kept && !seen; j++)
            seen = eddy__inaddr_len(&addrs[j]) == eddy__inaddr_len(&addrs[i]) &&
                   memcmp(&addrs[j], &addrs[i], eddy__inaddr_len(&addrs[i])) == 0;
        if (!seen)
            addrs[kept++] = addrs[i];
    }
    eddy__inaddr *tmp = kept > 2 ? eddy__malloc(kept * sizeof *tmp) : NULL;
    if (!tmp)
        return kept; /* two or fewer, or no memory: tried in the lookup's order */
    /* Interleave: a stable partition into the first family and the other, then a merge. */
    sa_family_t first = addrs[0].sa.sa_family;
    size_t a = 0, b = 0, na = 0;
    for (size_t i = 0; i < kept; i++)
        na += addrs[i].sa.sa_family == first;
    size_t nb = kept - na;
    eddy__inaddr *fa = tmp, *fb = tmp + na;
    for (size_t i = 0, x = 0, y = 0; i < kept; i++) {
        if (addrs[i].sa.sa_family == first)
            fa[x++] = addrs[i];
        else
            fb[y++] = addrs[i];
    }
    size_t out = 0;
    while (a < na || b < nb) {
        if (a < na)
            addrs[out++] = fa[a++];
        if (b < nb)
            addrs[out++] = fb[b++];
    }
    eddy__free(tmp);
    return kept;
}

#endif /* ONE_ADDRESS */

static void emit_lookup(eddy_socket *s, int code, const eddy__inaddr *addr, const char *host)
{
    eddy_event ev = {0};
    eddy_address a;
    ev.u.lookup.code = code;
    ev.u.lookup.host = host;
    if (addr) {
        eddy__sockaddr sa;
        inaddr_to_sockaddr(&sa, addr, 0);
        eddy__address_from_sockaddr(&a, &sa, eddy__inaddr_len(addr));
        ev.u.lookup.address = a.address;
        ev.u.lookup.family = addr->sa.sa_family == AF_INET6 ? 6 : 4;
    }
    eddy__emit_id(&s->emitter, EDDY__EV_LOOKUP, &ev);
}

/* The lookup ended (l->addrs and l->count hold its addresses when err is 0): 'lookup',
 * then the connect, or 'error' then 'close' as Node has them. */
static void lookup_resolved(struct socket_lookup *l, int err)
{
    eddy_socket *s = l->s;
    if (err == 0 && l->count == 0)
        err = EDDY_ENOTFOUND;
    if (err) {
        emit_lookup(s, err, NULL, l->host);
        eddy__socket_destroy(s, err, CALL_GETADDRINFO); /* nothing if a listener did */
        return;
    }
#ifdef ONE_ADDRESS
    size_t n = 1;
#else
    size_t n = l->single ? 1 : l->count;
#endif
    for (size_t i = 0; i < n; i++) {
        emit_lookup(s, 0, &l->addrs[i], l->host);
        if (socket_has(s, S_DESTROYED))
            return; /* a 'lookup' listener destroyed it */
    }
#ifndef ONE_ADDRESS
    l->count = l->single ? 1 : order_attempts(l->addrs, l->count);
    if (l->count == 1)
#endif
    {
        eddy__sockaddr sa, local;
        inaddr_to_sockaddr(&sa, &l->addrs[0], l->port);
        socklen_t local_len = attempt_local(l, sa.sa.sa_family, &local);
        connect_address(s, &sa, eddy__inaddr_len(&l->addrs[0]), &local, local_len, NULL);
        return;
    }
#ifndef ONE_ADDRESS
    l->attempts = eddy__calloc(l->count, sizeof *l->attempts);
    if (!l->attempts) {
        eddy__socket_destroy(s, -ENOMEM, CALL_CONNECT);
        return;
    }
    attempt_next(l);
#endif
}

static void lookup_pool_done(struct eddy__lookup_req *req, void *owner)
{
    struct socket_lookup *l = owner;
    l->pool = NULL;
    l->addrs = req->addrs; /* taken from the request, which is freed after this */
    l->count = req->count;
    req->addrs = NULL;
    lookup_resolved(l, req->err);
}

#ifdef EDDY_NO_USER_RESOLVER
int eddy_lookup_done(eddy_lookup *req, int err, const char *const *addresses, size_t count)
{
    (void)req, (void)err, (void)addresses, (void)count;
    return -ENOSYS; /* no user resolver can have been called */
}
#else
static void lookup_user_deliver(eddy__deferred *d)
{
    struct socket_lookup *l = EDDY__CONTAINER_OF(d, struct socket_lookup, deliver);
    lookup_resolved(l, l->user_err);
}

int eddy_lookup_done(eddy_lookup *req, int err, const char *const *addresses, size_t count)
{
    if (!req)
        return -EINVAL;
    struct socket_lookup *l = req->owner;
    eddy__free(req);
    if (!l)
        return 0; /* the socket is gone: the result is dropped */
    l->user = NULL;
    int ret = 0;
    if (err == 0 && count > 0) {
        if (!addresses)
            err = ret = -EINVAL;
        else if (!(l->addrs = eddy__calloc(count, sizeof *l->addrs)))
            err = ret = -ENOMEM;
        for (size_t i = 0; err == 0 && i < count; i++) {
            eddy__sockaddr sa;
            socklen_t len;
            if (!addresses[i] ||
                eddy__sockaddr_from_host(&sa, &len, addresses[i], 0, false, false) < 0) {
                err = ret = -EINVAL; /* Node: ERR_INVALID_IP_ADDRESS */
                break;
            }
            eddy__socket_cache_address(&l->addrs[i], &sa, len);
            l->count++;
        }
    } else if (err > 0) {
        err = -err;
    }
    if (err) {
        eddy__free(l->addrs);
        l->addrs = NULL;
        l->count = 0;
    }
    l->user_err = err;
    eddy__defer(l->s->io.loop, &l->deliver); /* never from inside the resolver's call */
    return ret;
}
#endif /* EDDY_NO_USER_RESOLVER */

void eddy__socket_lookup_stop(eddy_socket *s)
{
    struct socket_lookup *l = s->rare ? s->rare->lookup : NULL;
    if (!l)
        return;
    eddy__lookup_cancel(l->pool);
    l->pool = NULL;
#ifndef EDDY_NO_USER_RESOLVER
    if (l->user) {
        l->user->owner = NULL; /* freed by its eddy_lookup_done */
        l->user = NULL;
    }
    eddy__defer_cancel(&l->deliver);
#endif
#ifndef ONE_ADDRESS
    attempts_close(l);
#endif
}

void eddy__socket_lookup_free(eddy_socket *s)
{
    struct socket_lookup *l = s->rare ? s->rare->lookup : NULL;
    if (!l)
        return;
    eddy__socket_lookup_stop(s);
#ifndef ONE_ADDRESS
    eddy__free(l->attempts);
#endif
    eddy__free(l->addrs);
    eddy__free(l);
    s->rare->lookup = NULL;
}

const char *eddy__socket_lookup_host(const eddy_socket *s)
{
    return s->rare && s->rare->lookup ? s->rare->lookup->host : NULL;
}

static int connect_name(eddy_socket *s, const struct connect_target *t,
                        const eddy_connect_options *o, int port, int family,
                        eddy_listener on_connect, void *ctx)
{
    if (!eddy__socket_rare(s))
        return -ENOMEM;
    size_t n = strlen(t->host);
    struct socket_lookup *l = eddy__calloc(1, sizeof *l + n + 1);
#ifdef EDDY_NO_USER_RESOLVER
    (void)o; /* opts->lookup was refused by target_from_options */
    void *user = NULL;
#else
    struct eddy_lookup *user = o && o->lookup ? eddy__calloc(1, sizeof *user) : NULL;
#endif
    if (!l || (o && o->lookup && !user)) {
        eddy__free(l);
        eddy__free(user);
        return -ENOMEM;
    }
    int err = connect_begin(s, on_connect, ctx); /* may revive it, freeing the last lookup */
    if (err < 0) {
        eddy__free(l);
        eddy__free(user);
        return err;
    }
    memcpy(l->host, t->host, n + 1);
    l->s = s;
    l->port = port;
    l->local = t->local;
    l->local_len = t->local_len;
    l->local_port = t->local_port;
    /* A local address fixes the family the name must have. */
    if (family == 0 && t->local_len)
        family = t->local.sa.sa_family == AF_INET6 ? 6 : 4;
    l->family = family;
#ifndef ONE_ADDRESS
    l->single = o && o->no_auto_select_family;
    uint64_t ms = o && o->auto_select_family_attempt_timeout_ms
                      ? o->auto_select_family_attempt_timeout_ms
                      : DEFAULT_ATTEMPT_MS;
    if (ms < MIN_ATTEMPT_MS)
        ms = MIN_ATTEMPT_MS; /* Node's floor */
    l->attempt_ns = ms > UINT64_MAX / 2000000u ? UINT64_MAX / 2 : ms * 1000000u;
    eddy__timer_init(&l->timer, s->io.loop);
    eddy__timer_set_ref(&l->timer, false); /* the connecting socket keeps the loop alive */
#endif
#ifndef EDDY_NO_USER_RESOLVER
    eddy__deferred_init(&l->deliver, lookup_user_deliver);
#endif
    s->rare->lookup = l;
    eddy__socket_sync_ref(s);
#ifndef EDDY_NO_USER_RESOLVER
    if (user) {
        user->owner = l;
        l->user = user;
        o->lookup(user, l->host, family, o->lookup_ctx);
        return 0;
    }
#endif
    /* Node's hints: ADDRCONFIG unless a family is asked for. */
    l->pool =
        eddy__lookup_start(s->io.loop, l->host, family, family == 0, lookup_pool_done, l, &err);
    if (!l->pool)
        eddy__socket_destroy(s, err, CALL_GETADDRINFO);
    return 0;
}

/* host:port (port 0 is let through: the kernel refuses it, and Node reports that as an
 * 'error' ECONNREFUSED, not as a bad argument). host NULL or "": "localhost". A host that
 * is not an IP literal is a name, looked up by the connect. */
static int target_from_host(struct connect_target *t, int port, const char *host, int family)
{
    memset(t, 0, sizeof *t);
    if (port < 0 || port > 65535)
        return -EINVAL;
    if (family != 0 && family != 4 && family != 6)
        return -EINVAL;
    if (!host || !*host)
        host = "localhost";
    if (eddy__ip_family(host) == 0) {
        t->host = host;
        return 0;
    }
    int err = eddy__sockaddr_from_host(&t->addr, &t->len, host, port, false, false);
    if (err < 0)
        return err;
    if ((family == 4 && t->addr.sa.sa_family != AF_INET) ||
        (family == 6 && t->addr.sa.sa_family != AF_INET6))
        return -EINVAL; /* an IP literal of the other family */
    return 0;
}

static int target_from_path(struct connect_target *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    return eddy__sockaddr_from_path(&t->addr, &t->len, path);
}

static int target_from_options(struct connect_target *t, const eddy_connect_options *o)
{
#ifdef EDDY_NO_USER_RESOLVER
    if (o->lookup)
        return -ENOSYS; /* whatever the host: the build has no user resolvers */
#endif
#ifdef EDDY_NO_ONREAD
    if (o->onread)
        return -ENOSYS; /* before any option is applied: nothing happens */
#endif
    int err =
        o->path ? target_from_path(t, o->path) : target_from_host(t, o->port, o->host, o->family);
    if (err < 0 || o->path)
        return err;
    if (o->local_port < 0 || o->local_port > 65535)
        return -EINVAL;
    if (t->host) {
        /* A name: the local address (a literal) is bound for whichever address wins. */
        t->local_port = o->local_port;
        if (o->local_address) {
            err = eddy__sockaddr_from_host(&t->local, &t->local_len, o->local_address,
                                           o->local_port, false, false);
            if (err < 0 || (o->family == 4 && t->local.sa.sa_family != AF_INET) ||
                (o->family == 6 && t->local.sa.sa_family != AF_INET6))
                return -EINVAL;
        }
        return 0;
    }
    if (o->local_address || o->local_port) {
        const char *any = t->addr.sa.sa_family == AF_INET6 ? "::" : "0.0.0.0";
        err = eddy__sockaddr_from_host(&t->local, &t->local_len,
                                       o->local_address ? o->local_address : any, o->local_port,
                                       false, false);
        if (err < 0 || t->local.sa.sa_family != t->addr.sa.sa_family)
            return -EINVAL;
    }
    return 0;
}

/* The options that are the socket's own, set before the connect. */
static int apply_connect_options(eddy_socket *s, const eddy_connect_options *o)
{
    if (o->high_water_mark) {
        int err = eddy__socket_set_high_water_mark(s, o->high_water_mark);
        if (err < 0)
            return err; /* -ENOMEM: no room for the mark; first, so nothing else changed */
    }
    if (o->allow_half_open)
        s->flags |= S_HALF_OPEN;
    if (o->onread) {
        int err = eddy_socket_set_onread(s, o->onread);
        if (err < 0)
            return err;
    }
    if (o->no_delay)
        eddy_socket_set_no_delay(s, true);
    if (o->keep_alive) {
        int err = eddy_socket_set_keep_alive(s, true, o->keep_alive_initial_delay_ms);
        if (err < 0)
            return err; /* -ENOMEM: no room for the delay (no fd yet: no setsockopt) */
    }
    if (o->timeout_ms)
        return eddy_socket_set_timeout(s, o->timeout_ms, NULL, NULL);
    return 0;
}

/* Connects to the target: an address, a path, or a name (opts may be NULL). */
static int connect_target(eddy_socket *s, const struct connect_target *t,
                          const eddy_connect_options *opts, int port, eddy_listener on_connect,
                          void *ctx)
{
    if (t->host)
        return connect_name(s, t, opts, port, opts ? opts->family : 0, on_connect, ctx);
    return socket_connect_to(s, t, on_connect, ctx);
}

int eddy_socket_connect_opts(eddy_socket *s, const eddy_connect_options *opts,
                             eddy_listener on_connect, void *ctx)
{
    if (!s || !opts)
        return -EINVAL;
    struct connect_target t;
    int err = target_from_options(&t, opts);
    if (err < 0)
        return err;
    err = apply_connect_options(s, opts);
    if (err < 0)
        return err;
    return connect_target(s, &t, opts, opts->port, on_connect, ctx);
}

int eddy_socket_connect(eddy_socket *s, int port, const char *host, eddy_listener on_connect,
                        void *ctx)
{
    if (!s)
        return -EINVAL;
    struct connect_target t;
    int err = target_from_host(&t, port, host, 0);
    if (err < 0)
        return err;
    return connect_target(s, &t, NULL, port, on_connect, ctx);
}

int eddy_socket_connect_path(eddy_socket *s, const char *path, eddy_listener on_connect, void *ctx)
{
    if (!s)
        return -EINVAL;
    struct connect_target t;
    int err = target_from_path(&t, path);
    if (err < 0)
        return err;
    return socket_connect_to(s, &t, on_connect, ctx);
}

static eddy_socket *connect_new(eddy_loop *loop, const eddy_connect_options *opts,
                                const struct connect_target *t, int port, eddy_listener on_connect,
                                void *ctx)
{
    eddy_socket *s = eddy__socket_alloc(loop);
    if (!s)
        return NULL;
    if ((opts && apply_connect_options(s, opts) < 0) ||
        connect_target(s, t, opts, port, on_connect, ctx) < 0) {
        eddy__socket_release(&s->tick);
        return NULL;
    }
    return s;
}

eddy_socket *eddy_connect(eddy_loop *loop, const eddy_connect_options *opts,
                          eddy_listener on_connect, void *ctx)
{
    struct connect_target t;
    if (!loop || !opts || target_from_options(&t, opts) < 0)
        return NULL;
    return connect_new(loop, opts, &t, opts->port, on_connect, ctx);
}

eddy_socket *eddy_create_connection(eddy_loop *loop, int port, const char *host,
                                    eddy_listener on_connect, void *ctx)
{
    struct connect_target t;
    if (!loop || target_from_host(&t, port, host, 0) < 0)
        return NULL;
    return connect_new(loop, NULL, &t, port, on_connect, ctx);
}

eddy_socket *eddy_create_connection_path(eddy_loop *loop, const char *path,
                                         eddy_listener on_connect, void *ctx)
{
    struct connect_target t;
    if (!loop || target_from_path(&t, path) < 0)
        return NULL;
    return connect_new(loop, NULL, &t, 0, on_connect, ctx);
}
#endif /* EDDY_NO_CONNECT */
