/* eddy: a generic EventEmitter with Node's semantics. */
#ifndef EDDY_EMITTER_H
#define EDDY_EMITTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_emitter eddy_emitter;
typedef struct eddy_event eddy_event;
typedef void (*eddy_listener)(const eddy_event *ev, void *ctx);

struct eddy_socket;
struct eddy_address;

/* What a listener receives. The event and everything it points to are valid only while
 * the listener runs: copy what must outlive it. */
struct eddy_event {
    const char *name; /* "data", "close", ... */
    void *target;     /* the object that emits (eddy_socket *, eddy_server *, eddy_emitter *) */
    union {
        struct {
            const void *bytes;
            size_t len;
        } data;                     /* "data": bytes, or NUL-terminated text with an encoding */
        struct eddy_socket *socket; /* "connection" */
        struct {
            int code;
            const char *syscall;
            /* Node's err.address / err.port: what the failed call used (a connect's or a
             * listen's IP address, or a UNIX path), NULL and -1 when it used none. */
            const char *address;
            int port;
            /* Node's err.hostname: the name whose lookup failed (syscall "getaddrinfo"),
             * else NULL. */
            const char *hostname;
        } error; /* "error": negative errno and the call that failed */
        struct {
            int code;            /* 0, or the lookup's error (EDDY_ENOTFOUND, ...) */
            const char *address; /* an IP literal; NULL when code is not 0 */
            int family;          /* 4 or 6; 0 when code is not 0 */
            const char *host;    /* the name that was looked up */
        } lookup;                /* "lookup" of a socket: Node's (err, address, family, host) */
        struct {
            const struct eddy_address *local, *remote;
        } drop;         /* "drop" of a server: the connection refused over max_connections */
        bool had_error; /* "close" of a socket */
        int fd;         /* "fd": a descriptor received over a UNIX socket */
        struct {
            const char *event;
            eddy_listener fn;
            void *ctx;
        } listener;       /* "newListener", "removeListener" */
        const void *user; /* events emitted by user code */
    } u;
};

/* A standalone emitter (its events' target is the emitter itself). NULL on -ENOMEM.
 * An emitter with no listeners costs one allocation: itself. An 'error' emitted on it
 * with no listener is a diagnostic (see eddy_emitter_on_diagnostic): by default one line
 * on stderr, e.g.
 *   eddy: unhandled 'error' event: ECONNRESET (connection reset by peer) [read] */
eddy_emitter *eddy_emitter_new(void);

/* Releases an emitter made by eddy_emitter_new, with its listeners and without
 * 'removeListener' events. Safe from inside one of its own listeners: the memory goes
 * when the outermost emit returns, and no further listener of that emit (or of the emits
 * around it) runs. NULL is accepted; the emitter of a server or socket is ignored (it
 * goes with its object). */
void eddy_emitter_free(eddy_emitter *e);

/* The emitter of a server or socket (or the emitter itself when given one); NULL for
 * NULL. The emitter is the first member of both, so this is a cast and costs nothing. */
eddy_emitter *eddy_emitter_of(void *object);

/* Adds a listener at the end (eddy_on), to run once (eddy_once), or at the front
 * (eddy_prepend_listener, eddy_prepend_once_listener). The same (fn, ctx) may be added
 * several times and then runs as many times. 'newListener' is emitted first, while the
 * listener is not counted yet; a once listener is removed (with 'removeListener') just
 * before it runs. Above the maximum (eddy_set_max_listeners) a warning is printed.
 * 0, -EINVAL (NULL emitter, event or fn) or -ENOMEM, in which case nothing changed and
 * no 'newListener' was emitted (unless 'newListener' listeners themselves added listeners
 * to the same event and the room for this one then lacked). Does nothing and returns 0
 * once eddy_emitter_free has been called from a running listener. EDDY_NO_USER_EVENTS
 * (eddy/config.h): -ENOSYS for a name that is not one of the library's events. */
int eddy_on(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_once(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_prepend_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_prepend_once_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);

/* Removes the most recently added listener that matches (fn, ctx), once or not, then
 * emits 'removeListener' with the event name, fn and ctx. Like Node it searches from the
 * end of the list, so after a prepend "most recent" means "last in call order". Nothing
 * is emitted when no listener matched. 0 whether or not one was found; -EINVAL for NULL
 * arguments. */
int eddy_off(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);

/* Removes every listener of one event (or of every event when event is NULL), last in
 * call order first, emitting 'removeListener' after each. With NULL, the built-in events
 * go first, then user events in the order of their first listener, and 'removeListener'
 * listeners last (as in Node); listeners that those add meanwhile are dropped too, without
 * an event. Listeners added during it to a single named event stay. Returns how many went
 * (0 for none), or -EINVAL for a NULL emitter. */
int eddy_remove_all_listeners(eddy_emitter *e, const char *event);

/* Calls the event's listeners in order with a copy of *ev (NULL: an empty payload) whose
 * name and target are filled in. It may be called from inside a listener (also for the
 * same event). Listeners added during the emit do not run in it; listeners removed during
 * it still do, except a once listener that already ran in a nested emit. Returns how many
 * listeners ran (0: none), or -EINVAL. An 'error' nobody listens to goes to the
 * uncaught-error hook and returns 0. Never allocates. EDDY_NO_USER_EVENTS: -ENOSYS for a
 * name that is not one of the library's events (eddy_off, eddy_listener_count and
 * eddy_remove_all_listeners find nothing under such a name: 0). */
int eddy_emit(eddy_emitter *e, const char *event, const eddy_event *ev);

/* How many listeners the event has now (removals during an emit count at once). */
size_t eddy_listener_count(const eddy_emitter *e, const char *event);

/* Above n listeners on one event, one warning (a diagnostic, EDDY_DIAG_MAX_LISTENERS) goes
 * to the emitter's diagnostic hook, by default a line on stderr, once per event name for
 * the life of the emitter (all the listeners still run):
 *   eddy: possible listener leak: 11 'data' listeners on one emitter (max 10); raise the
 *   limit with eddy_set_max_listeners()
 * (one line). 0 = unlimited; the default is 10. Applies to listeners added afterwards.
 * NULL is accepted. Built with EDDY_NO_DIAGNOSTICS_TEXT (eddy/config.h) the line is
 * always "eddy: possible listener leak (eddy_set_max_listeners)"; the diagnostic still
 * has the event's name and the count. */
void eddy_set_max_listeners(eddy_emitter *e, size_t n);

/* Where an 'error' that nobody listens to goes, for the servers and sockets of a loop.
 * NULL restores the default: a diagnostic (eddy_loop_on_diagnostic in eddy/net.h; by
 * default one line on stderr), then the object that emitted it is destroyed. The hook
 * runs instead of both; it never aborts the process. */
void eddy_loop_on_uncaught_error(eddy_loop *loop, eddy_listener fn, void *ctx);

/* ---- diagnostics ----
 * What the library has to tell that is not an event: an 'error' nobody listened to, and
 * the max-listeners warning. eddy never uses stdio (nor any printf-family call): the
 * default writes the line and a newline to fd 2 with write(2); a hook receives it
 * instead, to log it elsewhere (a ring buffer, syslog, a UART) or to drop it.
 * Standalone emitters have a hook each (eddy_emitter_on_diagnostic); the servers and
 * sockets of a loop share the loop's (eddy_loop_on_diagnostic, eddy/net.h). */
typedef enum {
    EDDY_DIAG_UNHANDLED_ERROR, /* an 'error' was emitted with no listener: event is it */
    EDDY_DIAG_MAX_LISTENERS    /* an event has more listeners than the maximum */
} eddy_diagnostic_kind;

typedef struct {
    eddy_diagnostic_kind kind;
    /* The line the default prints, without its newline, e.g.
     *   eddy: unhandled 'error' event: ECONNRESET (connection reset by peer) [read]
     *   eddy: unhandled 'error' on a socket: ECONNRESET (connection reset by peer) [read]
     *   eddy: possible listener leak: 11 'data' listeners on one emitter (max 10); ...
     * (the message in parentheses is eddy_strerror's). At most 255 bytes: a longer event
     * name is cut. Valid while the hook runs. */
    const char *text;
    eddy_emitter *emitter;   /* the emitter concerned */
    const eddy_event *event; /* UNHANDLED_ERROR: the 'error' event; MAX_LISTENERS: NULL */
    const char *event_name;  /* the event's name ("error" for UNHANDLED_ERROR) */
    size_t count;            /* MAX_LISTENERS: the event's listeners now; else 0 */
} eddy_diagnostic;

typedef void (*eddy_diagnostic_fn)(const eddy_diagnostic *d, void *ctx);

/* Sets the diagnostic hook of a standalone emitter (made by eddy_emitter_new); fn NULL
 * restores the default (eddy_diagnostic_print). The hook is called from inside the eddy
 * call that caused the diagnostic (eddy_emit, eddy_on...) and may call eddy on the
 * emitter, as a listener may. 0; -EINVAL for NULL or for the emitter of a server or socket
 * (theirs is the loop's: eddy_loop_on_diagnostic). */
int eddy_emitter_on_diagnostic(eddy_emitter *e, eddy_diagnostic_fn fn, void *ctx);

/* The default: d->text and a newline written to stderr (fd 2) with write(2), in one
 * writev. For a hook that adds to the default rather than replacing it. NULL is
 * accepted. Any thread; async-signal-safe. */
void eddy_diagnostic_print(const eddy_diagnostic *d);

#ifdef __cplusplus
}
#endif
#endif
