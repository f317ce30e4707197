/* eddy: version, error codes and the replaceable allocator. */
#ifndef EDDY_COMMON_H
#define EDDY_COMMON_H

#include <stddef.h>

#include "eddy/version.h" /* generated: EDDY_VERSION_MAJOR/MINOR/PATCH/STRING/HEX */

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library linked at run time, as EDDY_VERSION_HEX is at compile time
 * (0xMMmmpp): a program can check that the two agree. Any thread, any time. */
unsigned eddy_version(void);

/* The same as "MAJOR.MINOR.PATCH" (static, never NULL). */
const char *eddy_version_string(void);

/* The symbolic name of a negative errno value as eddy returns it: "EADDRINUSE" for
 * -EADDRINUSE. 0 gives "OK"; a code eddy does not know gives "UNKNOWN". Never NULL. */
const char *eddy_err_name(int err);

/* A human-readable message for a negative errno value ("address already in use").
 * Thread-safe, never NULL, the string is static. */
const char *eddy_strerror(int err);

/* Replaces the allocator that every eddy allocation goes through. Call it before any
 * loop exists (it is the one process-wide setting eddy has, and it is read, never
 * written, once loops run). Passing NULL for all three restores libc's malloc.
 * All three must be given together; a NULL among non-NULLs is ignored. realloc_fn is
 * called with a NULL pointer to allocate and must accept that; free_fn with NULL is
 * never called. Any allocation that returns NULL is reported as -ENOMEM. */
void eddy_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                        void (*free_fn)(void *));

#ifdef __cplusplus
}
#endif
#endif
