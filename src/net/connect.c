/* net.Socket: connecting (to an address or a UNIX path), and sockets made by a connect. */
#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/alloc.h"
#include "net_internal.h"
#include "sys.h"

/* ---- connecting ---- */

void eddy__socket_connected(eddy_socket *s)
{
    s->flags &= ~S_CONNECTING;
    s->flags |= S_CONNECTED;
    if (s->peer_len)
        s->flags |= S_PEER_CACHED; /* Node: remoteAddress is undefined until 'connect' */
    socket_touch(s);
    eddy__socket_sync_reading(s);
    if (!eddy__queue_empty(&s->writes))
        eddy__io_start(&s->io, EDDY__WRITABLE);
    else
        eddy__io_stop(&s->io, EDDY__WRITABLE);
    eddy__emit_id(&s->emitter, EDDY__EV_CONNECT, NULL);
    if (!socket_has(s, S_DESTROYED))
        eddy__emit_id(&s->emitter, EDDY__EV_READY, NULL); /* Node: 'ready' right after */
    /* An end() made before the connection with nothing to flush: send the FIN now. */
    if (socket_has(s, S_END_CALLED) && !socket_has(s, S_DESTROYED | S_SHUT) &&
        eddy__queue_empty(&s->writes))
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
    const char *path; /* a UNIX path, kept for the 'error' of a failed connect */
    eddy__sockaddr local;
    socklen_t local_len; /* 0: no bind */
};

/* A UNIX connect fails at once (ENOENT, ECONNREFUSED): its 'error' names the path. */
static void remember_path(eddy_socket *s, const char *path)
{
    struct socket_rare *r = path ? eddy__socket_rare(s) : NULL;
    if (!r)
        return;
    size_t n = strlen(path);
    eddy__free(r->path);
    r->path = eddy__malloc(n + 1);
    if (r->path)
        memcpy(r->path, path, n + 1);
}

static void connect_failed(eddy_socket *s, int err, const char *path)
{
    if (socket_has(s, S_UNIX))
        remember_path(s, path);
    eddy__socket_destroy(s, err, CALL_CONNECT);
}

static int socket_connect_to(eddy_socket *s, const struct connect_target *t,
                             eddy_listener on_connect, void *ctx)
{
    /* From its own 'close' listener, a socket may connect again (Node's reconnect). */
    if (socket_has(s, S_DESTROYED) && !eddy__socket_revive(s))
        return -EINVAL;
    /* A wrapped fd that is not connected yet is used as it is (Node's connect with fd). */
    bool own_fd = s->io.fd >= 0;
    if (socket_has(s, S_CONNECTING | S_CONNECTED))
        return -EINVAL;
    if (on_connect) {
        int err = eddy__on_id(&s->emitter, EDDY__EV_CONNECT, on_connect, ctx, true);
        if (err < 0)
            return err;
    }
    s->flags |= S_CONNECTING;
    if (t->addr.sa.sa_family == AF_UNIX)
        s->flags |= S_UNIX;
    else /* readable once connected, and named by a connect's 'error' */
        eddy__socket_cache_address(&s->peer, &s->peer_len, &t->addr, t->len);
    int fd = own_fd ? s->io.fd : eddy__sys_socket(t->addr.sa.sa_family);
    if (fd < 0) {
        /* EMFILE and friends: an 'error' event like every other connect failure */
        connect_failed(s, -errno, t->path);
        return 0;
    }
    s->io.fd = fd;
    eddy__socket_sync_ref(s);
    eddy__socket_apply_options(s);
    if (t->local_len && bind(fd, &t->local.sa, t->local_len) < 0) {
        eddy__socket_destroy(s, -errno, CALL_BIND); /* Node: syscall "bind" */
        return 0;
    }
    int r;
    do
        r = connect(fd, &t->addr.sa, t->len);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        /* Done at once (UNIX sockets): 'connect' still comes from the loop. */
        s->flags &= ~S_CONNECTING;
        s->flags |= S_CONNECTED | S_CONNECT_PENDING;
        socket_schedule_tick(s);
        return 0;
    }
    if (errno == EINPROGRESS || errno == EAGAIN) {
        eddy__io_start(&s->io, EDDY__WRITABLE);
        return 0;
    }
    connect_failed(s, -errno, t->path);
    return 0;
}

/* host:port (port 0 is let through: the kernel refuses it, and Node reports that as an
 * 'error' ECONNREFUSED, not as a bad argument). */
static int target_from_host(struct connect_target *t, int port, const char *host, int family)
{
    memset(t, 0, sizeof *t);
    if (port < 0 || port > 65535)
        return -EINVAL;
    if (family != 0 && family != 4 && family != 6)
        return -EINVAL;
    if (family == 6 && host && strcmp(host, "localhost") == 0)
        host = "::1";
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
    int err =
        o->path ? target_from_path(t, o->path) : target_from_host(t, o->port, o->host, o->family);
    if (err < 0 || o->path)
        return err;
    if (o->local_address || o->local_port) {
        if (o->local_port < 0 || o->local_port > 65535)
            return -EINVAL;
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
    if (o->allow_half_open)
        s->flags |= S_HALF_OPEN;
    if (o->high_water_mark)
        s->high_water_mark =
            o->high_water_mark > UINT32_MAX ? UINT32_MAX : (uint32_t)o->high_water_mark;
    if (o->no_delay)
        eddy_socket_set_no_delay(s, true);
    if (o->keep_alive)
        eddy_socket_set_keep_alive(s, true, o->keep_alive_initial_delay_ms);
    if (o->timeout_ms)
        return eddy_socket_set_timeout(s, o->timeout_ms, NULL, NULL);
    return 0;
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
    return socket_connect_to(s, &t, on_connect, ctx);
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
    return socket_connect_to(s, &t, on_connect, ctx);
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
                                const struct connect_target *t, eddy_listener on_connect, void *ctx)
{
    eddy_socket *s = eddy__socket_alloc(loop);
    if (!s)
        return NULL;
    if ((opts && apply_connect_options(s, opts) < 0) ||
        socket_connect_to(s, t, on_connect, ctx) < 0) {
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
    return connect_new(loop, opts, &t, on_connect, ctx);
}

eddy_socket *eddy_create_connection(eddy_loop *loop, int port, const char *host,
                                    eddy_listener on_connect, void *ctx)
{
    struct connect_target t;
    if (!loop || target_from_host(&t, port, host, 0) < 0)
        return NULL;
    return connect_new(loop, NULL, &t, on_connect, ctx);
}

eddy_socket *eddy_create_connection_path(eddy_loop *loop, const char *path,
                                         eddy_listener on_connect, void *ctx)
{
    struct connect_target t;
    if (!loop || target_from_path(&t, path) < 0)
        return NULL;
    return connect_new(loop, NULL, &t, on_connect, ctx);
}
