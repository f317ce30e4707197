/* Shared by server.c, socket.c and address.c. */
#ifndef EDDY_NET_INTERNAL_H
#define EDDY_NET_INTERNAL_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "eddy/net.h"
#include "emitter/emitter_internal.h"
#include "loop/loop_internal.h"
#include "sys.h"

typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
    struct sockaddr_storage ss;
} eddy__sockaddr;

/* The IP part of it: what a socket keeps of its addresses. */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
} eddy__inaddr;

/* host:port to a socket address. host NULL means localhost when connecting and
 * any-address when listening (any_for_null). "localhost" is 127.0.0.1 until name
 * resolution exists. 0 or -EINVAL. */
int eddy__sockaddr_from_host(eddy__sockaddr *out, socklen_t *len, const char *host, int port,
                             bool any_for_null, bool prefer_ipv6);
int eddy__sockaddr_from_path(eddy__sockaddr *out, socklen_t *len, const char *path);
void eddy__address_from_sockaddr(eddy_address *out, const eddy__sockaddr *sa, socklen_t len);

/* A socket made for a connection that the server accepted. */
eddy_socket *eddy__socket_accepted(eddy_server *server, int fd, const eddy__sockaddr *peer,
                                   socklen_t peer_len, const eddy_server_options *opts);
eddy_loop *eddy__server_loop(const eddy_server *server);
/* The address the server is bound to, when it is not a wildcard (0.0.0.0, ::). */
bool eddy__server_specific_address(const eddy_server *server, eddy__sockaddr *out,
                                   socklen_t *len);
/* The server learns that one of its connections emitted 'close'. */
void eddy__server_connection_closed(eddy_server *server);

/* An 'error' nobody listens to: given to the loop's hook (returns true), or printed on
 * stderr (returns false: the caller then destroys its object, the default). */
bool eddy__uncaught_to_hook(const eddy_loop *loop, const eddy_event *ev, const char *what);

/* Sets O_NONBLOCK and FD_CLOEXEC on an fd we did not create. 0 or -errno. */
int eddy__fd_prepare(int fd);

#endif
