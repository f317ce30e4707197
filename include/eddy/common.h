/* eddy: version, error codes and the replaceable allocator. */
#ifndef EDDY_COMMON_H
#define EDDY_COMMON_H

#include <stddef.h>

#include "eddy/config.h"  /* the compile-time switches: EDDY_NO_*, EDDY_MINIMAL */
#include "eddy/version.h" /* EDDY_VERSION_MAJOR/MINOR/PATCH/STRING/HEX */

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library linked at run time, as EDDY_VERSION_HEX is at compile time
 * (0xMMmmpp): a program can check that the two agree. Any thread, any time. */
unsigned eddy_version(void);

/* The same as "MAJOR.MINOR.PATCH" (static, never NULL). */
const char *eddy_version_string(void);

/* Name-resolution errors: getaddrinfo's EAI_* codes as eddy reports them (in 'lookup' and
 * 'error' events, syscall "getaddrinfo"). Like every eddy error they are negative ints. The
 * values are libuv's, so they equal Node's err.errno (-3008 for a name that does not
 * resolve); they lie between -3000 and -3014, and every errno value of the systems eddy
 * builds on is below 3000 (Linux: under 134; the BSDs and macOS: under 110), which
 * src/common/error.c checks at compile time. A system error inside getaddrinfo (EAI_SYSTEM)
 * is reported as the negative errno itself. Node names -3007 and -3008 "ENOTFOUND". */
/* clang-format off */
#define EDDY_EAI_ADDRFAMILY (-3000) /* "EAI_ADDRFAMILY": no address of that family */
#define EDDY_EAI_AGAIN      (-3001) /* "EAI_AGAIN": temporary failure (DNS server down) */
#define EDDY_EAI_BADFLAGS   (-3002) /* "EAI_BADFLAGS" */
#define EDDY_EAI_CANCELED   (-3003) /* "EAI_CANCELED" */
#define EDDY_EAI_FAIL       (-3004) /* "EAI_FAIL": permanent failure */
#define EDDY_EAI_FAMILY     (-3005) /* "EAI_FAMILY": family not supported */
#define EDDY_EAI_MEMORY     (-3006) /* "EAI_MEMORY" */
#define EDDY_EAI_NODATA     (-3007) /* "ENOTFOUND" (as Node names it): the name has no address */
#define EDDY_ENOTFOUND      (-3008) /* "ENOTFOUND": the name does not exist (EAI_NONAME) */
#define EDDY_EAI_NONAME     EDDY_ENOTFOUND
#define EDDY_EAI_OVERFLOW   (-3009) /* "EAI_OVERFLOW" */
#define EDDY_EAI_SERVICE    (-3010) /* "EAI_SERVICE" */
#define EDDY_EAI_SOCKTYPE   (-3011) /* "EAI_SOCKTYPE" */
#define EDDY_EAI_BADHINTS   (-3013) /* "EAI_BADHINTS" */
#define EDDY_EAI_PROTOCOL   (-3014) /* "EAI_PROTOCOL" */
/* clang-format on */

/* The symbolic name of a negative errno value as eddy returns it: "EADDRINUSE" for
 * -EADDRINUSE, or of an EDDY_EAI_* code ("ENOTFOUND", "EAI_AGAIN"). 0 gives "OK"; a code eddy does
 * not know gives "UNKNOWN". Never NULL. */
const char *eddy_err_name(int err);

/* A human-readable message for a negative errno value ("address already in use").
 * Thread-safe, never NULL, the string is static. Built with EDDY_NO_DIAGNOSTICS_TEXT
 * (eddy/config.h) there is no message table: it returns eddy_err_name(err). */
const char *eddy_strerror(int err);

/* Replaces the allocator that every eddy allocation goes through. Call it before any
 * loop exists (it is the one process-wide setting eddy has, and it is read, never
 * written, once loops run). Passing NULL for all three restores the default: libc's
 * malloc and free, and no realloc at all (a table grows into a new block, copied, the
 * old one freed), so that a static program does not carry libc's realloc (1.4 KB on
 * musl). malloc_fn and free_fn must be given together, or the call is ignored;
 * realloc_fn may be NULL (growth then goes through the other two, as by default).
 * realloc_fn is called with a NULL pointer to allocate and must accept that; free_fn
 * with NULL is never called. Any allocation that returns NULL is reported as -ENOMEM. */
void eddy_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                        void (*free_fn)(void *));

#ifdef __cplusplus
}
#endif
#endif
