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
        } error;        /* "error": negative errno and the call that failed */
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
 * An emitter with no listeners costs one allocation: itself. */
eddy_emitter *eddy_emitter_new(void);

/* Releases an emitter made by eddy_emitter_new, with its listeners and without
 * 'removeListener' events. Safe from inside one of its own listeners: the memory goes
 * when the outermost emit returns, and no further listener of that emit runs. */
void eddy_emitter_free(eddy_emitter *e);

/* The emitter of a server or socket (or the emitter itself when given one). */
eddy_emitter *eddy_emitter_of(void *object);

/* Adds a listener at the end (eddy_on), to run once (eddy_once), or at the front
 * (eddy_prepend_listener, eddy_prepend_once_listener). 'newListener' is emitted first.
 * 0, -EINVAL (NULL emitter, event or fn) or -ENOMEM. */
int eddy_on(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_once(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_prepend_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);
int eddy_prepend_once_listener(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);

/* Removes the most recently added listener that matches (fn, ctx), then emits
 * 'removeListener'. 0 whether or not one was found; -EINVAL for NULL arguments. */
int eddy_off(eddy_emitter *e, const char *event, eddy_listener fn, void *ctx);

/* Removes every listener of one event (or of every event when event is NULL), most
 * recently added first, emitting 'removeListener' for each. Returns how many went. */
int eddy_remove_all_listeners(eddy_emitter *e, const char *event);

/* Calls the event's listeners in order with a copy of *ev (NULL: an empty payload) whose
 * name and target are filled in. Listeners added during the emit do not run in it;
 * listeners removed during it still do. Returns how many listeners ran (0: none), or
 * -EINVAL. An 'error' nobody listens to goes to the uncaught-error hook and returns 0. */
int eddy_emit(eddy_emitter *e, const char *event, const eddy_event *ev);

/* How many listeners the event has now. */
size_t eddy_listener_count(const eddy_emitter *e, const char *event);

/* Above n listeners on one event, a warning is printed once for that event (all of them
 * still run). 0 = unlimited; the default is 10. */
void eddy_set_max_listeners(eddy_emitter *e, size_t n);

/* Where an 'error' that nobody listens to goes, for the servers and sockets of a loop.
 * NULL restores the default: one line on stderr, then the object that emitted it is
 * destroyed. The hook runs instead of that; it never aborts the process. */
void eddy_loop_on_uncaught_error(eddy_loop *loop, eddy_listener fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
