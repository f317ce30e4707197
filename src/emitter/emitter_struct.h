/* struct eddy_emitter, visible to the library so that servers and sockets can embed it as
 * their first member (eddy_emitter_of relies on that). It is plain data: an emitter that
 * never had a listener is these 24 bytes (on LP64) and nothing on the heap. Everything
 * that exists only once a listener does lives behind `table` (see emitter.c). */
#ifndef EDDY_EMITTER_STRUCT_H
#define EDDY_EMITTER_STRUCT_H

#include <stdint.h>

struct eddy__emitter_table;

struct eddy_emitter {
    struct eddy__emitter_table *table; /* NULL until the first listener is added */
    /* Events' .target is the emitter's own address, which is its owner's (the emitter is
     * the first member of every server and socket); so is the hook's context, except for
     * eddy_emitter_new's emitters, which keep a context after this struct (emitter.c). */
    union {
        eddy__uncaught_fn uncaught; /* has_diag 0: an 'error' nobody listens to */
        eddy_diagnostic_fn diag;    /* has_diag 1: every diagnostic */
    } hook;                         /* NULL: eddy_diagnostic_print */
    /* Emits (and listener calls that emit events) in progress. While it is non-zero,
     * removed listeners are only marked, and a free is deferred until it drops to 0.
     * A whole word: it changes twice per emit, and a bit-field would cost a masked
     * read-modify-write each time. */
    uint32_t depth;
    /* Kept here, not in the table, so that it can be set before any listener exists
     * without allocating. 0: unlimited; larger values are clamped to the field's maximum,
     * which no emitter can reach (that many listeners would not fit in memory). */
    unsigned max_listeners : 28;
    unsigned has_diag : 1; /* hook.diag, else hook.uncaught */
    unsigned free_pending : 1; /* eddy_emitter_free was called during an emit */
    unsigned standalone : 1;   /* made by eddy_emitter_new: eddy_emitter_free may free it */
    /* Something for the outermost emit to settle when it returns: a free, stamped
     * listeners, an emptied user event, a disposed table. One bit tested per emit instead
     * of five conditions. */
    unsigned unsettled : 1;
};

#endif
