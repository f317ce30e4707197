/* Shared by server.c, socket.c and address.c. */
#ifndef EDDY_NET_INTERNAL_H
#define EDDY_NET_INTERNAL_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <stdint.h>

#include "eddy/net.h"
#include "encoding.h"
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

/* An IP literal (with an optional zone id: "fe80::1%eth0") and port to a socket address.
 * host NULL or "" means the any-address when any_for_null ("::" when prefer_ipv6, else
 * "0.0.0.0"), else it is -EINVAL, as is every name (names are resolved: resolve.c).
 * 0 or -EINVAL. */
int eddy__sockaddr_from_host(eddy__sockaddr *out, socklen_t *len, const char *host, int port,
                             bool any_for_null, bool prefer_ipv6);
int eddy__sockaddr_from_path(eddy__sockaddr *out, socklen_t *len, const char *path);
void eddy__address_from_sockaddr(eddy_address *out, const eddy__sockaddr *sa, socklen_t len);

/* ---- name resolution (resolve.c): getaddrinfo on the loop's worker pool ---- */

struct eddy__lookup_req;
typedef void (*eddy__lookup_cb)(struct eddy__lookup_req *req, void *owner);

/* Owned by the pool; the owner keeps a pointer until its cb ran or it cancelled. */
struct eddy__lookup_req {
    eddy__queue node;
    eddy__lookup_cb cb; /* NULL once cancelled */
    void *owner;
    int family; /* 0, 4 or 6 */
    bool addrconfig;
    /* The result, read by cb: 0 and count addresses (in getaddrinfo's order), or an
     * EDDY_EAI_* / negative errno code. */
    int err;
    eddy__inaddr *addrs;
    size_t count;
    char host[];
};

/* Resolves host on a worker; cb(req, owner) runs later from the loop (never from inside
 * this call), and req is freed when cb returns. NULL with *err (-ENOMEM, EDDY_EAI_AGAIN
 * when no thread can be started). Until cb ran (or would have) the request keeps the
 * loop alive and eddy_loop_free returns -EBUSY. */
struct eddy__lookup_req *eddy__lookup_start(eddy_loop *loop, const char *host, int family,
                                            bool addrconfig, eddy__lookup_cb cb, void *owner,
                                            int *err);
/* The owner goes away: cb will not run, the result is dropped. NULL is accepted. */
void eddy__lookup_cancel(struct eddy__lookup_req *req);
/* For tests: a function each worker calls with the host before its getaddrinfo. */
int eddy__resolve_test_delay(eddy_loop *loop, void (*delay)(const char *host));
/* For tests: how many worker threads the loop's pool has started. */
unsigned eddy__resolve_workers(const eddy_loop *loop);

/* A socket made for a connection that the server accepted. */
eddy_socket *eddy__socket_accepted(eddy_server *server, int fd, const eddy__sockaddr *peer,
                                   socklen_t peer_len, const eddy_server_options *opts);
eddy_loop *eddy__server_loop(const eddy_server *server);
/* The address the server is bound to, when it is not a wildcard (0.0.0.0, ::). */
bool eddy__server_specific_address(const eddy_server *server, eddy__sockaddr *out, socklen_t *len);
/* The server learns that one of its connections emitted 'close'. */
void eddy__server_connection_closed(eddy_server *server);

/* A diagnostic of a server's or socket's emitter (what: "server", "socket"). An 'error'
 * nobody listens to goes to the loop's uncaught-error hook (returns true), else it is
 * told as "eddy: unhandled 'error' on a socket: ..." to the loop's diagnostic hook or
 * stderr (returns false: the caller then destroys its object, the default). Other
 * diagnostics go to the diagnostic hook or stderr (returns true). */
bool eddy__diagnostic_to_hook(const eddy_loop *loop, const eddy_diagnostic *d, const char *what);

/* 4, 6 or 0 for a host: is it an IPv4 or IPv6 literal by Node's grammar (eddy_is_ip's,
 * which EDDY_NO_ISIP keeps for the library) or a name. For 4 and 6 the address's bytes
 * (network order: 4 or 16) are in bytes, and *zone is the IPv6 zone id after the '%' or
 * NULL (isip.c). */
int eddy__ip_parse(const char *host, uint8_t *bytes, const char **zone);
/* eddy__ip_parse's answer only. */
int eddy__ip_family(const char *host);

/* Sets O_NONBLOCK and FD_CLOEXEC on an fd we did not create. 0 or -errno. */
int eddy__fd_prepare(int fd);

/* ---- net.Socket internals, shared by socket.c (life cycle, options, state), connect.c,
 * socket_read.c, socket_write.c and pipe.c ---- */

/* EDDY_NO_CONNECT (eddy/config.h): no socket ever connects, so the connect states are 0
 * and every branch on them is constant-false: the read, write and life-cycle code is
 * written once and the compiler drops the connect parts. */
#ifdef EDDY_NO_CONNECT
#define EDDY__CONNECT_BIT(n) 0u
#else
#define EDDY__CONNECT_BIT(n) (1u << (n))
#endif
enum {
    S_CONNECTING = EDDY__CONNECT_BIT(0),
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
    S_CONNECT_PENDING = EDDY__CONNECT_BIT(12),
    S_HALF_OPEN = 1u << 13,
    S_NO_DELAY = 1u << 14,
    S_KEEPALIVE = 1u << 15,
    S_DECODING = 1u << 16,
    S_UNIX = 1u << 17,
    /* 1u << 18: free (was the cached local address) */
    S_PEER_CACHED = 1u << 19,
    S_FLUSH_PENDING = 1u << 20,  /* writes held back during a callback: sent by the tick */
    S_FINISH_PENDING = 1u << 21, /* our FIN went out: 'finish' from the tick */
    S_IN_CLOSE = 1u << 22,       /* 'close' listeners are running: connect may revive it */
    S_NOT_SOCKET = 1u << 23,     /* a wrapped pipe or tty: read(2)/writev(2), not send */
};

enum {
    DEFAULT_HIGH_WATER_MARK = 16 * 1024,
    READS_PER_WAKEUP = 8, /* a fast sender cannot starve the other sockets */
    IOVS_PER_SEND = 64,
    /* Writes smaller than this are copied into shared chunks of this size when queued,
     * so a burst of small writes costs a memcpy each, not an allocation each. */
    SMALL_WRITE = 1024,
    CHUNK_SIZE = 4096,
};

struct write_req {
    struct write_req *next; /* in a write ring (below) */
    eddy_write_cb cb;
    void *ctx;
    size_t len, off;
    size_t cap; /* room in bytes[]: later small writes are appended to the queue's tail */
    int status;
    int send_fd; /* -1, or a descriptor to pass with the first byte */
    unsigned char bytes[];
};

/* A FIFO of write requests: a circular singly-linked list named by its LAST request (NULL:
 * empty; the first is last->next). 8 bytes in the socket where a queue head takes 16, and
 * the requests need only the FIFO's operations: push at the end, look at both ends, pop
 * the first. */
typedef struct write_req *write_ring;

static inline bool ring_empty(const write_ring *ring)
{
    return *ring == NULL;
}

static inline struct write_req *ring_first(const write_ring *ring)
{
    return (*ring)->next;
}

static inline void ring_push(write_ring *ring, struct write_req *r)
{
    if (*ring) {
        r->next = (*ring)->next;
        (*ring)->next = r;
    } else {
        r->next = r;
    }
    *ring = r;
}

/* Takes the first request off a ring that is not empty. */
static inline struct write_req *ring_pop(write_ring *ring)
{
    struct write_req *first = (*ring)->next;
    if (first == *ring)
        *ring = NULL;
    else
        (*ring)->next = first->next;
    return first;
}

/* What few sockets need, allocated on demand (eddy__socket_rare): the idle timeout (by the
 * first set_timeout), the path of a failed UNIX connect (for its 'error'), a decoder (by
 * set_encoding to a text encoding), the keep-alive delay, a high-water mark other than
 * the default. */
struct socket_lookup;
struct socket_rare {
    char *path;
    eddy_onread onread;           /* callback NULL: reads are 'data' events */
    struct socket_lookup *lookup; /* a connect to a name: connect.c */
    struct eddy_timer timer;
    uint64_t timeout_ns; /* 0: off */
    uint64_t last_active_ns;
    eddy__decoder decoder; /* read while S_DECODING; enc survives a reconnect */
    uint32_t keepalive_s;  /* TCP_KEEPIDLE; 0: the system's */
    /* The write high-water mark; 0: DEFAULT_HIGH_WATER_MARK. Read it with
     * socket_high_water_mark, set it with eddy__socket_set_high_water_mark. */
    uint32_t high_water_mark;
};

/* Kept small: a server holds one per connection, and an idle connection costs this and
 * its emitter table (bench/ "idle connections"). 184 bytes on LP64 (a 192-byte malloc
 * chunk): the layout below packs it, with the 4-byte members together at the end, and
 * the write queues are rings of 8 bytes each.
 * History: 320 bytes, then 280 with the local address, the decoder and the keep-alive
 * delay in the struct and 16-byte queue heads; the local address is now asked of the
 * kernel (the fd stays open until 'close' has been emitted), the rest lives in
 * socket_rare. Then 200, until the watcher's events, registered and poll slot shared
 * one word (eddy__io 48 -> 40), the high-water mark moved to socket_rare (nearly every
 * socket has the default) and closing_fd took the word of direct_write_iteration (the
 * one only matters once the socket is destroyed, the other only before). */
struct eddy_socket {
    eddy_emitter emitter; /* first: eddy_emitter_of(socket) */
    eddy__io io;          /* io.loop is the socket's loop */
    eddy_server *server;  /* the server that accepted it, or NULL */
    size_t queued;        /* bytes in writes */
    write_ring writes;    /* not yet fully taken by the kernel */
    write_ring done;      /* taken (or failed): callbacks due */
    uint64_t bytes_read, bytes_written;
    eddy__deferred tick;
    struct socket_rare *rare;
    uint32_t flags;
    /* One word for two lives. A live socket keeps the low bits of the iteration of its
     * last direct write (0, as calloc leaves it: none yet, the loop counts from 1). A
     * destroyed one (S_DESTROYED) keeps its fd there, closed after its 'close' listeners
     * ran (-1: none); eddy__socket_destroy sets it in every case. No write is direct
     * after the destroy (eddy_socket_write, end and the queue check S_DESTROYED before
     * anything else, also from 'close' listeners), closing_fd is read only while
     * S_DESTROYED is set (socket_fd, the release, eddy__socket_revive), and the revive of
     * a reconnect from 'close' closes the fd and sets the word back to 0, as new. */
    union {
        uint32_t direct_write_iteration;
        int closing_fd;
    };
    int16_t error;      /* a negative errno or EDDY_EAI_* code (both above -32768) */
    uint8_t error_call; /* index in call_names */
    uint8_t corked;     /* cork depth: writes are queued, not sent, while non-zero */
    /* The peer's IP address (family 0: none), cached for reading in 'close' (after a
     * reset the kernel no longer knows it). UNIX sockets ask the kernel while open. */
    eddy__inaddr peer;
};

/* The length of a cached IP address (family AF_INET or AF_INET6). */
static inline socklen_t eddy__inaddr_len(const eddy__inaddr *a)
{
    return a->sa.sa_family == AF_INET6 ? sizeof a->in6 : sizeof a->in4;
}

enum {
    CALL_NONE,
    CALL_CONNECT,
    CALL_READ,
    CALL_WRITE,
    CALL_SET_TIMEOUT,
    CALL_IO_WATCH,
    CALL_BIND,
    CALL_GETADDRINFO
};

static inline bool socket_has(const eddy_socket *s, uint32_t f)
{
    return (s->flags & f) != 0;
}

static inline void socket_schedule_tick(eddy_socket *s)
{
    eddy__defer(s->io.loop, &s->tick);
}

/* s->rare, allocated if need be; NULL on -ENOMEM. */
struct socket_rare *eddy__socket_rare(eddy_socket *s);
/* socket_touch for a socket that has a rare part (socket.c). */
void eddy__socket_touch_rare(eddy_socket *s);

/* The write high-water mark. Almost every socket has the default, so the socket keeps
 * no word for it: another one lives in socket_rare. The direct write, which tests it
 * after every fully-sent reply, skips the call while nothing is queued (queued 0 is
 * below any mark), so that it never loads s->rare for it. */
static inline size_t socket_high_water_mark(const eddy_socket *s)
{
    uint32_t hwm = s->rare ? s->rare->high_water_mark : 0;
    return hwm ? hwm : DEFAULT_HIGH_WATER_MARK;
}
/* Sets the mark (n clamped to 32 bits; the default needs no memory). 0, or -ENOMEM with
 * the mark unchanged. */
int eddy__socket_set_high_water_mark(eddy_socket *s, size_t n);

/* Activity: one store of the loop's time (the idle timer re-checks when it fires). Only
 * the test is inline: a socket without a rare part has no idle timer, and the rest is one
 * out-of-line copy instead of one in each caller's object. */
static inline void socket_touch(eddy_socket *s)
{
    if (s->rare)
        eddy__socket_touch_rare(s);
}

/* socket.c */
eddy_socket *eddy__socket_alloc(eddy_loop *loop);
void eddy__socket_release(eddy__deferred *d);
/* Stops all I/O at once; 'error' (when err) and 'close' follow from the loop. */
void eddy__socket_destroy(eddy_socket *s, int err, uint8_t call);
void eddy__socket_maybe_close(eddy_socket *s);
void eddy__socket_sync_ref(eddy_socket *s);
void eddy__socket_sync_reading(eddy_socket *s);
/* Copies an IP address into dst (false, dst untouched, for any other family). */
bool eddy__socket_cache_address(eddy__inaddr *dst, const eddy__sockaddr *src, socklen_t len);
void eddy__socket_apply_options(eddy_socket *s);
/* Inside a 'close' listener: makes the closed socket new again for a connect (Node's
 * reconnect from 'close'). False when it is not in its 'close'. Not built with
 * EDDY_NO_CONNECT (connect.c is its only caller). */
bool eddy__socket_revive(eddy_socket *s);
/* connect.c (EDDY_NO_CONNECT: nothing to do, empty inlines) */
#ifdef EDDY_NO_CONNECT
static inline void eddy__socket_connected(eddy_socket *s)
{
    (void)s;
}
static inline void eddy__socket_lookup_stop(eddy_socket *s)
{
    (void)s;
}
static inline void eddy__socket_lookup_free(eddy_socket *s)
{
    (void)s;
}
static inline const char *eddy__socket_lookup_host(const eddy_socket *s)
{
    (void)s;
    return NULL;
}
static inline void eddy__socket_finish_connect(eddy_socket *s)
{
    (void)s;
}
#else
void eddy__socket_connected(eddy_socket *s);
/* A connect to a name: the lookup or the attempts stop (destroy), and its memory goes
 * (release, or a reconnect from 'close'). */
void eddy__socket_lookup_stop(eddy_socket *s);
void eddy__socket_lookup_free(eddy_socket *s);
/* The name a connect looked up, for the 'error' of a failed lookup; NULL if none. */
const char *eddy__socket_lookup_host(const eddy_socket *s);
void eddy__socket_finish_connect(eddy_socket *s);
#endif
/* socket_read.c */
void eddy__socket_on_io(eddy__io *io, unsigned revents);
/* socket_write.c */
void eddy__socket_flush_writes(eddy_socket *s);
void eddy__socket_writes_flushed(eddy_socket *s);
void eddy__socket_run_write_callbacks(eddy_socket *s);
void eddy__socket_cancel_writes(eddy_socket *s, int status);
void eddy__socket_send_fin(eddy_socket *s);

#endif
