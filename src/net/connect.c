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

static int socket_connect_addr(eddy_socket *s, const eddy__sockaddr *addr, socklen_t len,
                               eddy_listener on_connect, void *ctx)
{
    if (socket_has(s, S_CONNECTING | S_CONNECTED | S_DESTROYED) || s->io.fd >= 0)
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
        eddy__socket_cache_address(&s->peer, &s->peer_len, addr, len); /* readable once connected */
    int fd = eddy__sys_socket(addr->sa.sa_family);
    if (fd < 0) {
        /* EMFILE and friends: an 'error' event like every other connect failure */
        eddy__socket_destroy(s, -errno, CALL_CONNECT);
        return 0;
    }
    s->io.fd = fd;
    eddy__socket_sync_ref(s);
    eddy__socket_apply_options(s);
    int r;
    do
        r = connect(fd, &addr->sa, len);
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
    eddy__socket_destroy(s, -errno, CALL_CONNECT);
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
    eddy_socket *s = eddy__socket_alloc(loop);
    if (!s)
        return NULL;
    if (socket_connect_addr(s, addr, len, on_connect, ctx) < 0) {
        eddy__socket_release(&s->tick);
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
