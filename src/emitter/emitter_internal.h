/* The emitter as the rest of the library sees it: embeddable (no allocation while it has
 * no listeners) and with the library's own events dispatched by small integer ids, so
 * the hot path never compares strings. src/emitter knows nothing of the loop. */
#ifndef EDDY_EMITTER_INTERNAL_H
#define EDDY_EMITTER_INTERNAL_H

#include <errno.h>

#include "eddy/emitter.h"

/* The library's own event names, interned once. Any other name is a user event. */
enum eddy__event_id {
    EDDY__EV_DATA,
    EDDY__EV_END,
    EDDY__EV_CLOSE,
    EDDY__EV_ERROR,
    EDDY__EV_CONNECT,
    EDDY__EV_CONNECTION,
    EDDY__EV_LISTENING,
    EDDY__EV_TIMEOUT,
    EDDY__EV_DRAIN,
    EDDY__EV_FD,
    EDDY__EV_FINISH,
    EDDY__EV_READY,
    EDDY__EV_DROP,
    EDDY__EV_LOOKUP,
    EDDY__EV_NEW_LISTENER,
    EDDY__EV_REMOVE_LISTENER,
    EDDY__EV_BUILTIN_COUNT
};

/* Called for an 'error' that has no listener, with the event as listeners would get it. */
typedef void (*eddy__uncaught_fn)(const eddy_event *ev, void *ctx);

#include "emitter_struct.h" /* struct eddy_emitter, owned by src/emitter */

/* Prepares an emitter embedded as the FIRST member of a server or socket (so that
 * eddy_emitter_of(object) can find it). Every event's .target is the emitter's address,
 * that is the owner's. uncaught (NULL: eddy_diagnostic_print) receives 'error' events
 * nobody listens to, with the owner as its context; the other diagnostics are printed.
 * Never allocates. */
void eddy__emitter_init(eddy_emitter *e, eddy__uncaught_fn uncaught);
/* The same with a hook for every diagnostic of the emitter (diag NULL:
 * eddy_diagnostic_print), called with the owner as its context: what servers and sockets
 * use, to hand them to their loop. */
void eddy__emitter_init_diag(eddy_emitter *e, eddy_diagnostic_fn diag);

/* Releases every listener without emitting anything. The emitter may be initialised
 * again afterwards. Must not be called while an emit on it is running: the owner frees
 * its object only after its last emit returned. */
void eddy__emitter_dispose(eddy_emitter *e);

/* True while an emit (or a call that emits, like eddy_on with 'newListener' listeners) is
 * running on the emitter: its owner must wait before eddy__emitter_dispose. */
bool eddy__emitter_busy(const eddy_emitter *e);

/* eddy_emit for a built-in event, without any string comparison. ev may be NULL; when it
 * is not, its name and target are set in place (no copy of the event). -EINVAL for a NULL
 * emitter or an id out of range: checked inline, where the id is a constant. */
int eddy__emit_id_valid(eddy_emitter *e, enum eddy__event_id id, eddy_event *ev);
static inline int eddy__emit_id(eddy_emitter *e, enum eddy__event_id id, eddy_event *ev)
{
    if (!e || (unsigned)id >= (unsigned)EDDY__EV_BUILTIN_COUNT)
        return -EINVAL;
    return eddy__emit_id_valid(e, id, ev);
}

/* eddy_listener_count for a built-in event; O(1). */
size_t eddy__listener_count_id(const eddy_emitter *e, enum eddy__event_id id);

/* The listener API with a built-in event id, for the library's own
 * once-listeners (on_connect, on_close...). Same returns as the string versions. */
int eddy__on_id(eddy_emitter *e, enum eddy__event_id id, eddy_listener fn, void *ctx, bool once);
int eddy__off_id(eddy_emitter *e, enum eddy__event_id id, eddy_listener fn, void *ctx);

/* The interned name of a built-in event ("data"...). */
const char *eddy__event_name(enum eddy__event_id id);

#endif
