/* eddy: net.Server and net.Socket, as Node's net module has them.
 *
 * Events (payload in eddy_event.u, and what follows): the table below.
 */
/* clang-format off */
/*
 *  object  event        when                                        payload      then
 *  ------  -----------  ------------------------------------------  -----------  ------------------
 *  server  listening    the socket is bound and listening           -            connection*
 *  server  connection   a connection was accepted                   u.socket     -
 *  server  error        listen failed (syscall "listen"; or         u.error      nothing (not closed)
 *                       "getaddrinfo": the host did not resolve,
 *                       u.error.hostname names it)
 *  server  error        accept or watch failed ("accept", backend)  u.error      see eddy_server_close
 *  server  drop         a connection over max_connections closed    u.drop       -
 *  server  close        closed and every accepted conn. closed      -            nothing more
 *  socket  lookup       a connect's host name was looked up: once   u.lookup     lookup*, connect,
 *                       per address (code 0), or once with the                   or error ENOTFOUND
 *                       error (address NULL); never for literals                 ("getaddrinfo")
 *  socket  connect      the connection is established               -            ready
 *  socket  ready        right after 'connect' (Node's 'ready')      -            data*, end, close
 *  socket  data         bytes arrived (valid during the call)       u.data       data*, end, close
 *  socket  end          the peer sent FIN (at most once)            -            close (unless
 *                                                                                 allow_half_open)
 *  socket  timeout      idle for the set time (notify only)         -            -
 *  socket  drain        the write queue emptied after a write       -            -
 *                       returned false
 *  socket  finish       our FIN was sent, everything before it      -            close (once the
 *                       flushed (after eddy_socket_end)                          peer ended too)
 *  socket  error        a failure (u.error.syscall names it:        u.error      close(true)
 *                       "connect", "read", "write", "getaddrinfo"
 *                       (u.error.hostname: the name), ...)
 *  socket  close        the socket is closed, fd released           u.had_error  nothing more
 *  socket  fd           a descriptor arrived over a UNIX socket     u.fd         -
 *                       (never with EDDY_NO_FD_PASSING)
 */
/* clang-format on */
/* An object stays valid until its 'close' was emitted and its listeners returned (for a
 * server, see eddy_server_close for the exact rule). 'data' bytes point into a loop-owned
 * buffer: they are valid only while the listener runs.
 */
#ifndef EDDY_NET_H
#define EDDY_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "emitter.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_server eddy_server;
typedef struct eddy_socket eddy_socket;

/* family: "IPv4", "IPv6" or "unix". */
typedef struct eddy_address {
    char family[8];
    char address[108];
    int port;
} eddy_address;

typedef enum {
    EDDY_ENC_BUFFER,
    EDDY_ENC_UTF8,
    EDDY_ENC_ASCII,
    EDDY_ENC_BASE64,
    EDDY_ENC_HEX,
    EDDY_ENC_LATIN1
} eddy_encoding;

/* Zero-initialise for the defaults. */
typedef struct {
    bool allow_half_open;                 /* keep accepted sockets writable after the peer's FIN */
    int backlog;                          /* listen(2) backlog; 0 = 511 */
    bool reuse_port;                      /* SO_REUSEPORT, for one listening loop per core */
    bool ipv6_only;                       /* with a "::" host: no IPv4-mapped connections */
    bool pause_on_connect;                /* accepted sockets start paused */
    size_t high_water_mark;               /* accepted sockets' write high-water mark; 0 = 16 KiB */
    bool no_delay;                        /* TCP_NODELAY on accepted sockets (Node's noDelay) */
    bool keep_alive;                      /* SO_KEEPALIVE on accepted sockets (Node's keepAlive) */
    uint64_t keep_alive_initial_delay_ms; /* as eddy_socket_set_keep_alive's; 0: system's */
    bool readable_all; /* UNIX path: the socket file is readable by all (Node's) */
    bool writable_all; /* UNIX path: the socket file is writable by all */
} eddy_server_options;

/* A new server (NULL on -ENOMEM or a NULL loop). on_connection, when not NULL, is added as
 * a 'connection' listener with ctx. */
eddy_server *eddy_create_server(eddy_loop *loop, const eddy_server_options *opts,
                                eddy_listener on_connection, void *ctx);

/* Binds and listens on host:port (host NULL or "": "::" when IPv6 is available, else
 * "0.0.0.0"; port 0: an ephemeral port). host is an IP literal (a link-local IPv6 address
 * may carry its zone: "fe80::1%eth0") or a name, which is looked up first as Node does
 * (getaddrinfo on the loop's worker pool; the first address is used). on_listening, when
 * not NULL, is a once listener on 'listening', which is emitted from the loop. Failures of
 * bind/listen arrive as a later 'error' (u.error.syscall "listen"), a name that does not
 * resolve as 'error' EDDY_ENOTFOUND (syscall "getaddrinfo", u.error.hostname the name),
 * never 'listening'. Returns 0; -EINVAL when already listening (or looking its host up)
 * or for a bad port; -ENOMEM. eddy_server_close during the lookup cancels
 * it (Node would still listen once the name resolved): 'close' follows, no 'listening'.
 * On "::" (and NULL) the server takes IPv4 connections too unless ipv6_only; their
 * remote address reads as Node reports it: "::ffff:127.0.0.1", family "IPv6".
 * EDDY_NO_RESOLVER (eddy/config.h): "localhost" is 127.0.0.1 and any other name is
 * 'error' EDDY_ENOTFOUND ("getaddrinfo") from the loop; no thread is started. */
int eddy_server_listen(eddy_server *s, int port, const char *host, eddy_listener on_listening,
                       void *ctx);
/* Listens on a UNIX socket path. Same events and returns as eddy_server_listen.
 * EDDY_NO_UNIX: -ENOSYS (-EINVAL for a NULL server), nothing else happens. */
int eddy_server_listen_path(eddy_server *s, const char *path, eddy_listener on_listening,
                            void *ctx);
/* Listens on an fd that is already bound (and maybe listening). Returns as
 * eddy_server_listen; what the fd is comes as a later 'error' (syscall "listen"): a pipe
 * or tty ENOTSOCK, a regular file, a datagram or a connected socket EINVAL (a regular
 * file is ENOTSOCK too under EDDY_NO_PIPE_TTY, which has no fstat). */
int eddy_server_listen_fd(eddy_server *s, int fd, eddy_listener on_listening, void *ctx);

/* Stops accepting at once. 'close' is emitted from the loop once every connection that
 * the server accepted has closed; on_close, when not NULL, is a once listener on it.
 * Returns 0, -EINVAL for NULL, -ENOMEM when on_close cannot be added (nothing else is
 * done then), or -ENOTCONN when the server is not listening (Node: "Server is not
 * running"): as in Node, the close still happens, 'close' is still emitted and on_close
 * still runs.
 *
 * When a server's memory goes (one rule, safe for the EADDRINUSE retry recipe however
 * many times it retries): after the 'close' that follows the last eddy_server_close, once
 * that 'close's listeners returned, unless a listen call (eddy_server_listen*) came after
 * that close. So:
 *  - close, then listen again (from a timer, from 'error', from 'close'): the server
 *    lives on, whatever the listen's outcome; the pointer stays valid for the next retry;
 *  - listen again without close after a failed listen: the server lives on too (a failed
 *    listen never releases it);
 *  - close and nothing after: released after its 'close'. A server that is never closed
 *    lives until it is (eddy_loop_free returns -EBUSY until then).
 * An 'error' nobody listens to closes the server (the default uncaught-error hook). */
int eddy_server_close(eddy_server *s, eddy_listener on_close, void *ctx);

/* The bound address. -ENOTCONN when not listening, -EINVAL for NULL. */
int eddy_server_address(const eddy_server *s, eddy_address *out);

/* Node's server.listening: true from the listen call that succeeded until close. */
bool eddy_server_listening(const eddy_server *s);

/* Errors of a listening server (u.error.syscall): "listen" (bind/listen failed; the server
 * stays as it was, not listening), "accept" (a connection the server could not take,
 * -ENOMEM: it is closed, the server goes on accepting; or the listening socket itself
 * failed), or the backend's call ("epoll_ctl", "kevent", "poll") when the loop cannot
 * watch the listening socket. In the last two cases the server then closes: 'close'
 * follows once its connections closed, unless an 'error' listener listened again.
 * Out of descriptors (EMFILE/ENFILE), a pending connection is accepted with a descriptor
 * kept in reserve and closed at once (the client sees its connection end, never a hang).
 *
 * Connections accepted beyond max (0: no limit) are closed at once, and the server emits
 * 'drop' with their addresses (u.drop.local, u.drop.remote; NULL for a UNIX socket). */
void eddy_server_set_max_connections(eddy_server *s, size_t max);
/* The connections it accepted that have not emitted 'close' yet. */
size_t eddy_server_connections(const eddy_server *s);

/* A listening server keeps the loop alive unless unreferenced. */
void eddy_server_ref(eddy_server *s);
void eddy_server_unref(eddy_server *s);

typedef struct {
    int fd;                 /* an existing fd to wrap (see use_fd); -1: none */
    bool use_fd;            /* wrap fd even when it is 0 (stdin): zero-initialised options
                             * are the defaults, so fd 0 alone means no fd */
    const char *type;       /* "tcp4", "tcp6", "unix" or NULL */
    bool allow_half_open;   /* stay writable after the peer's FIN until eddy_socket_end */
    size_t high_water_mark; /* write queue size at which write returns false; 0 = 16 KiB */
} eddy_socket_options;

/* A new socket (NULL on -ENOMEM, a NULL loop or a bad fd). NULL or zeroed opts: not
 * connected, allow_half_open false. With an fd (fd > 0, or any fd >= 0 with use_fd), the
 * socket wraps it, as Node's new net.Socket({fd}): a connected stream socket (reading at
 * once), a stream socket not connected yet (bound or not: eddy_socket_connect* then
 * connects that fd), or a pipe or tty (read with read(2), written with writev(2); a write
 * to a pipe whose reader is gone is an 'error' EPIPE, never a SIGPIPE). NULL for what
 * cannot be a stream: a datagram or listening socket, a regular file, a closed fd. The
 * socket owns the fd from then on (it closes it after 'close'). EDDY_NO_UNIX: NULL for
 * type "unix". EDDY_NO_PIPE_TTY (eddy/config.h): NULL for a pipe or tty too (only sockets
 * are wrapped). EDDY_NO_CONNECT: a stream socket not connected yet is wrapped, but can
 * never be connected (eddy_socket_connect* -ENOSYS): wrap a connected one. */
eddy_socket *eddy_socket_new(eddy_loop *loop, const eddy_socket_options *opts);

/* A socket connecting to host:port (host NULL or "": "localhost"). host is an IP literal
 * or a name, looked up as eddy_connect describes (with its default options). on_connect,
 * when not NULL, is a once listener on 'connect'. Failures come as 'error' (syscall
 * "connect", or "getaddrinfo" for a name that does not resolve) then 'close'. NULL on
 * -ENOMEM or invalid arguments (a bad port); never for a name, whose failures are events.
 * eddy_create_connection_path: the same for a UNIX socket path (EDDY_NO_UNIX: NULL).
 * EDDY_NO_CONNECT (eddy/config.h): both NULL for any arguments, nothing else happens. */
eddy_socket *eddy_create_connection(eddy_loop *loop, int port, const char *host,
                                    eddy_listener on_connect, void *ctx);
eddy_socket *eddy_create_connection_path(eddy_loop *loop, const char *path,
                                         eddy_listener on_connect, void *ctx);

/* A name lookup handed to a user resolver (eddy_connect_options.lookup). */
typedef struct eddy_lookup eddy_lookup;

/* A resolver of the user's (Node's lookup option): for firmware without a libc resolver, a
 * cache, or tests. Called from inside the connect call (eddy_connect...) with the name and
 * the family asked for (0, 4 or 6), on the loop's thread, instead of getaddrinfo. It must
 * call eddy_lookup_done(req, ...) exactly once, before it returns or later, from the loop's
 * thread (a resolver with threads of its own posts back with eddy_loop_post). */
typedef void (*eddy_resolver)(eddy_lookup *req, const char *host, int family, void *ctx);

/* Ends a user resolver's lookup: err 0 and count IP literals ("::1", "127.0.0.1", also
 * with a zone id), in the order they should be tried, or err an error (EDDY_ENOTFOUND,
 * EDDY_EAI_AGAIN, a negative errno...). 'lookup' and the connect follow from the loop
 * (never from inside this call), as for a getaddrinfo result; err 0 with no address is
 * ENOTFOUND. req is released by this call. When the socket was destroyed meanwhile the
 * result is dropped (and it is 0). Returns 0, -EINVAL for a NULL req, or for an address
 * that is not an IP literal (the socket then fails with 'error' -EINVAL, syscall
 * "getaddrinfo"; Node: ERR_INVALID_IP_ADDRESS), -ENOMEM (the socket fails with -ENOMEM).
 * User resolvers work in every build, EDDY_NO_RESOLVER included (they are the way to names
 * there), except under EDDY_NO_USER_RESOLVER (eddy/config.h): there this returns -ENOSYS
 * (no resolver of the user's can have been called: eddy_connect refuses opts->lookup),
 * and EDDY_NO_CONNECT implies EDDY_NO_USER_RESOLVER. */
int eddy_lookup_done(eddy_lookup *req, int err, const char *const *addresses, size_t count);

/* Node's onread option: reads go into the caller's memory and to a callback, not to
 * 'data' events ('end', 'error', 'close', pause and resume work as usual). Either a static
 * buffer (buffer, size) or get_buffer, asked before every read for a buffer (and its size
 * in *size; NULL or 0: the socket fails with 'error' -ENOBUFS "read"). callback gets the
 * bytes read into buf; returning false pauses the socket (eddy_socket_resume reads on). */
typedef struct {
    void *buffer;
    size_t size;
    void *(*get_buffer)(eddy_socket *s, size_t *size, void *ctx);
    bool (*callback)(eddy_socket *s, size_t nread, void *buf, void *ctx);
    void *ctx;
} eddy_onread;

/* Sets (or with NULL or a NULL callback, removes) onread for the reads that follow; also
 * in eddy_connect_options.onread. 0, -EINVAL (NULL socket, or no buffer and no
 * get_buffer), -ENOMEM. The struct is copied; the buffers stay the caller's.
 * EDDY_NO_ONREAD (eddy/config.h): -ENOSYS (-EINVAL for a NULL socket), reads stay 'data'
 * events; eddy_connect with opts->onread is NULL, eddy_socket_connect_opts -ENOSYS. */
int eddy_socket_set_onread(eddy_socket *s, const eddy_onread *onread);

/* Where and how to connect, for eddy_connect and eddy_socket_connect_opts. Zero-initialise
 * for the defaults; set path for a UNIX socket, else port (and host). */
typedef struct {
    int port;                  /* 0..65535; 0 is refused by the kernel: 'error' ECONNREFUSED */
    const char *host;          /* an IP literal or a name; NULL or "": "localhost" */
    const char *path;          /* a UNIX socket path (then port and host are ignored) */
    const char *local_address; /* bind to this address first (Node's localAddress) */
    int local_port;            /* bind to this port first (Node's localPort); 0: any */
    int family;                /* 0, 4 or 6: the address family host must have (a name:
                                * only addresses of that family are looked up) */
    bool allow_half_open;      /* as in eddy_socket_options */
    bool no_delay;             /* eddy_socket_set_no_delay(true) before connecting */
    bool keep_alive;           /* eddy_socket_set_keep_alive(true, the delay below) */
    uint64_t keep_alive_initial_delay_ms;
    uint64_t timeout_ms;    /* eddy_socket_set_timeout(timeout_ms) before connecting; 0: none */
    size_t high_water_mark; /* 0: 16 KiB */
    /* Resolves names instead of getaddrinfo (Node's lookup), with lookup_ctx; NULL:
     * getaddrinfo on the loop's worker pool. */
    eddy_resolver lookup;
    void *lookup_ctx;
    /* Node's autoSelectFamily false: only the first address of a name is tried (default:
     * all of them, happy eyeballs). */
    bool no_auto_select_family;
    /* Happy eyeballs' delay before the next address: 0: 250 ms; under 10: 10 (Node's). */
    uint64_t auto_select_family_attempt_timeout_ms;
    const eddy_onread *onread; /* Node's onread: reads into the caller's buffer (copied) */
} eddy_connect_options;

/* A socket connecting as opts say (Node's net.connect(options)). on_connect, when not
 * NULL, is a once listener on 'connect'. NULL for a NULL loop or opts, bad options (a port
 * out of range, an IP literal of another family than opts->family, a local address that
 * is not an IP literal or of another family) or -ENOMEM. Failures of the connection
 * itself come as 'error' (syscall "connect", or "bind" for the local address;
 * u.error.address/port name the target) then 'close'.
 *
 * A host that is not an IP literal is a name, and never blocks the loop: it is looked up
 * by opts->lookup, or by getaddrinfo (hints AI_ADDRCONFIG unless a family is given, as
 * Node) on a small pool of worker threads that the loop starts on its first lookup (a
 * program that uses only IP literals and paths has one thread). The socket is connecting
 * meanwhile (writes are queued). Then, as Node v20 does:
 *  - 'lookup' (u.lookup: code 0, address, family, host) for each address found, in the
 *    resolver's order (only the first with no_auto_select_family), then 'connect';
 *  - several addresses (Node's autoSelectFamily, happy eyeballs): tried in turn, the
 *    families alternating, starting with the first address's; the next starts when the
 *    current one fails, or after the attempt timeout (250 ms) while the earlier ones stay
 *    open; the first to connect is the connection and the others are closed. If all
 *    fail: 'error' with the last failure (syscall "connect", its address and port; Node
 *    gives an AggregateError whose code is the first's), then 'close'(true);
 *  - a name that does not resolve: 'lookup' (u.lookup.code EDDY_ENOTFOUND, ...), then
 *    'error' EDDY_ENOTFOUND (syscall "getaddrinfo", u.error.hostname the name, address
 *    NULL, port -1), then 'close'(true);
 *  - destroyed during the lookup: only 'close'(false); the late result is dropped. The
 *    lookup itself cannot be stopped: until getaddrinfo returns, it keeps the loop alive
 *    (as in Node) and eddy_loop_free returns -EBUSY.
 * EDDY_NO_RESOLVER (eddy/config.h): no getaddrinfo and no thread. Without opts->lookup,
 * "localhost" is 127.0.0.1 ('lookup' with it, then the connect) and any other name fails
 * as one that does not resolve: 'lookup' with EDDY_ENOTFOUND, 'error' EDDY_ENOTFOUND
 * ("getaddrinfo"), 'close'(true), from the loop. EDDY_NO_UNIX: NULL for opts->path.
 * EDDY_NO_USER_RESOLVER: NULL for opts->lookup set (whatever the host); with
 * EDDY_NO_RESOLVER as well, a name has at most one address, so happy eyeballs never starts
 * and the auto_select_family options change nothing. EDDY_NO_CONNECT (eddy/config.h):
 * NULL for any arguments, nothing else happens. */
eddy_socket *eddy_connect(eddy_loop *loop, const eddy_connect_options *opts,
                          eddy_listener on_connect, void *ctx);
/* The same for a socket made by eddy_socket_new (or from its own 'close' listener, to
 * connect it again). 0, -EINVAL (bad options, a socket connecting or connected, or
 * destroyed outside its 'close'), -ENOMEM. EDDY_NO_USER_RESOLVER: -ENOSYS for
 * opts->lookup set, nothing else happens (EDDY_NO_UNIX: -ENOSYS for opts->path).
 * EDDY_NO_CONNECT (eddy/config.h): -ENOSYS (-EINVAL for a NULL socket), nothing else
 * happens. */
int eddy_socket_connect_opts(eddy_socket *s, const eddy_connect_options *opts,
                             eddy_listener on_connect, void *ctx);

/* Connects a socket made by eddy_socket_new. host: an IP literal or "localhost" (NULL).
 * 0, -EINVAL (bad port or host, or a socket already connecting, connected or destroyed),
 * -ENOMEM. Later failures are 'error' events.
 *
 * Reconnecting: from inside its own 'close' listener, a socket may be connected again
 * (Node's test-net-reconnect): it becomes a new connection with the same options,
 * encoding and listeners (byte counters start again at 0, as Node counts them per
 * connection), and is not released after that 'close'. This is
 * the only moment a closed socket may be used again; a write there (as any write after
 * destroy) fails: its callback gets -EPIPE. eddy_socket_connect_path (and
 * eddy_socket_connect_opts with a path) with EDDY_NO_UNIX: -ENOSYS, nothing else happens.
 * EDDY_NO_CONNECT (eddy/config.h): both -ENOSYS (-EINVAL for a NULL socket), nothing else
 * happens; sockets come from a server or wrap an fd (eddy_socket_new). */
int eddy_socket_connect(eddy_socket *s, int port, const char *host, eddy_listener on_connect,
                        void *ctx);
int eddy_socket_connect_path(eddy_socket *s, const char *path, eddy_listener on_connect, void *ctx);

/* Called once per write, in order, after its bytes reached the kernel (status 0), or
 * with a negative errno when they never will (-ECANCELED when the socket is destroyed,
 * -EPIPE for a write after end). Never called from inside the eddy call that made or
 * cancelled the write: from the loop, and before the socket's 'error' and 'close'. */
typedef void (*eddy_write_cb)(eddy_socket *s, int status, void *ctx);

/* Writes len bytes (copied when they cannot be sent at once). Always takes the data;
 * returns false when the queue is at or above the high-water mark ('drain' follows when
 * it empties) and after end or destroy ('error' -EPIPE, syscall "write", is emitted from
 * the loop, then 'close'). Writes made before 'connect' are sent in order after it.
 * The first write of a loop iteration to an idle socket goes to the kernel at once; more
 * writes in the same iteration are held and leave together in one sendmsg when the
 * current callback returns (or as soon as they reach the high-water mark). */
bool eddy_socket_write(eddy_socket *s, const void *data, size_t len, eddy_write_cb cb, void *ctx);

/* Writes a NUL-terminated string, converted the way Node's Buffer.from(str, enc) does
 * (base64 and hex decoded to bytes; utf8 as is; ascii and latin1 one byte per character).
 * An invalid enc returns false and emits 'error' -EINVAL. EDDY_NO_ENCODINGS: EDDY_ENC_BUFFER
 * and EDDY_ENC_UTF8 write the bytes as they are; any other encoding returns false, then
 * 'error' -ENOSYS (syscall "write") and 'close'. */
bool eddy_socket_write_string(eddy_socket *s, const char *str, eddy_encoding enc, eddy_write_cb cb,
                              void *ctx);
/* The same for the first len bytes of str, which may hold U+0000 (UTF-8 text). */
bool eddy_socket_write_string_len(eddy_socket *s, const char *str, size_t len, eddy_encoding enc,
                                  eddy_write_cb cb, void *ctx);

/* Sends data with a descriptor (SCM_RIGHTS) over a UNIX socket: the descriptor travels
 * with the first byte of data (len must be at least 1); the caller keeps its fd (the
 * kernel passes a copy) and may close it once the callback ran with status 0. Returns as
 * eddy_socket_write; fd < 0, len 0 or a socket that is not UNIX: false, then 'error'
 * -EINVAL (syscall "write") and 'close'. The peer gets it as an 'fd' event.
 * EDDY_NO_FD_PASSING (or EDDY_NO_UNIX): always false, then 'error' -ENOSYS ("write") and
 * 'close'; nothing is sent. */
bool eddy_socket_write_fd(eddy_socket *s, const void *data, size_t len, int fd, eddy_write_cb cb,
                          void *ctx);

/* Sends the data (may be NULL), then FIN once everything queued is flushed; 'finish'
 * follows from the loop. The socket still reads. 0, or -EINVAL for a NULL socket (or data
 * NULL with len, or a len near SIZE_MAX). Calling it again does nothing. Uncorks. */
int eddy_socket_end(eddy_socket *s, const void *data, size_t len);
/* eddy_socket_end, with on_finish (when not NULL) as a once listener on 'finish' (Node's
 * end(cb)). -ENOMEM when it cannot be added (then nothing is done). */
int eddy_socket_end_cb(eddy_socket *s, const void *data, size_t len, eddy_listener on_finish,
                       void *ctx);

/* Node's cork/uncork: while corked, writes are queued and not sent; the last uncork (or
 * end) sends them together. Nests (up to 255). 0, -EINVAL for NULL, -EOVERFLOW.
 * EDDY_NO_CORK (eddy/config.h): -ENOSYS (-EINVAL for NULL), writes go out as uncorked. */
int eddy_socket_cork(eddy_socket *s);
int eddy_socket_uncork(eddy_socket *s);

/* Stops all I/O at once: queued data is dropped (write callbacks get -ECANCELED),
 * 'close'(false) follows from the loop, and the descriptor is closed (the peer sees the
 * end) when the current callback has returned. Idempotent, safe from inside any listener. */
void eddy_socket_destroy(eddy_socket *s);

/* Node's resetAndDestroy: destroys the socket with an RST instead of a FIN (SO_LINGER 0):
 * the peer sees ECONNRESET. 'close'(false) follows, as for destroy. A socket that is
 * connecting or UNIX is just destroyed; one that never connected gets 'error' -ENOTCONN
 * (Node: ERR_SOCKET_CLOSED, no syscall), then 'close'(true). */
void eddy_socket_reset_and_destroy(eddy_socket *s);

/* Stops reading from the kernel (the peer feels backpressure) / starts again. Before
 * connect, the last call wins. */
void eddy_socket_pause(eddy_socket *s);
void eddy_socket_resume(eddy_socket *s);

/* After ms without reads or writes, emits 'timeout' (once per idle period). 0 turns it
 * off. on_timeout, when not NULL, is a once listener on 'timeout'. Costs O(1) per I/O. A
 * socket's timer does not keep the loop alive. Returns 0 (also on a destroyed socket,
 * where it does nothing), -EINVAL for NULL, -ENOMEM when the timer or the listener
 * cannot be added (then no timeout is set and on_timeout is not added). Should the timer
 * later fail to be queued again, the socket fails: 'error' -ENOMEM, syscall
 * "setTimeout", then 'close'. */
int eddy_socket_set_timeout(eddy_socket *s, uint64_t ms, eddy_listener on_timeout, void *ctx);

/* TCP_NODELAY and SO_KEEPALIVE (with TCP_KEEPIDLE from initial_delay_ms in whole seconds,
 * truncated as Node does; under 1000 ms the system's default delay stands). Before
 * connect, remembered and applied once connected. 0 (also on a destroyed socket, where
 * they do nothing), -EINVAL for NULL, the setsockopt error, or (set_keep_alive with a
 * delay of 1000 ms or more, which the socket keeps apart from its common state) -ENOMEM,
 * and then nothing is changed. */
int eddy_socket_set_no_delay(eddy_socket *s, bool no_delay);
int eddy_socket_set_keep_alive(eddy_socket *s, bool enable, uint64_t initial_delay_ms);

/* 'data' delivers text in that encoding from now on (EDDY_ENC_BUFFER: bytes again). Text
 * is NUL-terminated and never splits a character or base64 quantum across events. Takes
 * effect at the next read, with a fresh decoder (Node's setEncoding). 0, -EINVAL for
 * NULL or a value that is not an eddy_encoding, or -ENOMEM when the decoder (kept apart
 * from the socket's common state, made by the first text encoding) cannot be allocated:
 * then nothing changes. EDDY_NO_ENCODINGS: -ENOSYS for every encoding but
 * EDDY_ENC_BUFFER (0). */
int eddy_socket_set_encoding(eddy_socket *s, eddy_encoding enc);

/* The encoding named as Node names them, ASCII case-insensitive: "utf8", "utf-8", "ascii",
 * "base64", "hex", "latin1", "binary" (= latin1), and "buffer". -EINVAL for NULL, "" and any
 * other name, including the encodings Node has and eddy does not ("utf16le", "utf-16le",
 * "ucs2", "ucs-2", "base64url"). EDDY_NO_ENCODINGS: -ENOSYS for every name. */
int eddy_encoding_from_name(const char *name);

/* Bytes queued and not yet taken by the kernel. */
size_t eddy_socket_buffer_size(const eddy_socket *s);

/* The peer's and our own address into *out; still readable in 'close'. 0, -EINVAL for
 * NULL, -ENOTCONN when there is none: the peer's until 'connect' (Node: undefined while
 * connecting, and after a failed connect), our own before a connect began. Our own
 * address is asked of the kernel at each call (getsockname: the fd stays open until
 * 'close' has been emitted); the peer's IP address is kept from the connect or accept,
 * because a reset connection no longer has it. A UNIX socket's come from the kernel
 * while it is open (getpeername/getsockname errors are returned as they are). No event
 * follows. */
int eddy_socket_remote_address(const eddy_socket *s, eddy_address *out);
int eddy_socket_address(const eddy_socket *s, eddy_address *out);

/* Bytes read so far; bytes that write and end accepted so far (Node's bytesWritten:
 * counted when accepted, queued or not, so it includes eddy_socket_buffer_size). */
uint64_t eddy_socket_bytes_read(const eddy_socket *s);
uint64_t eddy_socket_bytes_written(const eddy_socket *s);

/* Node's state properties, readable at any time until the socket is released (NULL reads
 * as a destroyed socket):
 *  destroyed: eddy_socket_destroy (or a failure) happened;
 *  connecting: a connect is in progress;
 *  pending: not connected yet (no fd, or connecting), also after destroy (Node);
 *  readable / writable: the read side is open (not ended, not destroyed) / write and end
 *  are still accepted (both true for a new socket, as in Node);
 *  ready_state: "opening" (connecting), "open", "readOnly", "writeOnly" or "closed";
 *  writable_length: bytes queued, not yet taken by the kernel (= eddy_socket_buffer_size);
 *  server: the server that accepted it, NULL for a socket of the user's. */
bool eddy_socket_destroyed(const eddy_socket *s);
bool eddy_socket_connecting(const eddy_socket *s);
bool eddy_socket_pending(const eddy_socket *s);
bool eddy_socket_readable(const eddy_socket *s);
bool eddy_socket_writable(const eddy_socket *s);
const char *eddy_socket_ready_state(const eddy_socket *s);
size_t eddy_socket_writable_length(const eddy_socket *s);
eddy_server *eddy_socket_server(const eddy_socket *s);

/* The socket's descriptor (libuv's uv_fileno), for setsockopt and the like; -EBADF when
 * it has none (not connected yet, or destroyed), -EINVAL for NULL. The socket keeps it:
 * never close it. */
int eddy_socket_fd(const eddy_socket *s);

/* Writes src's data to dst; src pauses while dst is at or above its high-water mark and
 * resumes on dst's 'drain'; when end_dst, dst is ended when src ends. Resumes src. Only
 * listeners (on src's 'data', 'end', 'close', dst's 'drain', 'close'): whichever closes
 * first is forgotten by the other. 0, -EINVAL (NULL or a destroyed socket), -ENOMEM
 * (then no listener is left behind). A socket may be piped to itself (an echo). */
int eddy_socket_pipe(eddy_socket *src, eddy_socket *dst, bool end_dst);

/* An active socket keeps the loop alive unless unreferenced: one that connects, reads, or
 * has writes or its FIN to send. A paused socket (or one whose peer ended) with nothing
 * left to write does not, as a libuv handle that does not read is not active and Node
 * exits when only such sockets are left. */
void eddy_socket_ref(eddy_socket *s);
void eddy_socket_unref(eddy_socket *s);

/* The diagnostic hook of a loop's servers and sockets (eddy/emitter.h): the unhandled
 * 'error' line (when no uncaught-error hook is set; the object is destroyed after the
 * hook returns, as by default) and the max-listeners warning of their emitters. fn NULL
 * restores the default, eddy_diagnostic_print (a line on stderr with write(2)). Called on
 * the loop's thread, from inside the eddy call or loop iteration that caused it. NULL
 * loop: nothing. */
void eddy_loop_on_diagnostic(eddy_loop *loop, eddy_diagnostic_fn fn, void *ctx);

/* 4 for an IPv4 address, 6 for IPv6, 0 otherwise: exactly Node's net.isIP.
 * EDDY_NO_ISIP (eddy/config.h): eddy_is_ip returns -ENOSYS, the other two false (eddy
 * itself still tells literals from names, and reads them, by this grammar). */
int eddy_is_ip(const char *input);
bool eddy_is_ipv4(const char *input);
bool eddy_is_ipv6(const char *input);

#ifdef __cplusplus
}
#endif
#endif
