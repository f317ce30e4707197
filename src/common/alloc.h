/* The allocator every eddy allocation goes through (see eddy_set_allocator). */
#ifndef EDDY_COMMON_ALLOC_H
#define EDDY_COMMON_ALLOC_H

#include <stddef.h>

void *eddy__malloc(size_t n);
void *eddy__calloc(size_t count, size_t size); /* zeroed; NULL on overflow */
/* p (old bytes long, 0 when p is NULL) grown or shrunk to n bytes: the user's realloc,
 * or a new block with the first min(old, n) bytes copied and p freed. NULL on -ENOMEM,
 * p then untouched. */
void *eddy__realloc(void *p, size_t old, size_t n);
void eddy__free(void *p);          /* NULL is accepted */
char *eddy__strdup(const char *s); /* a copy through the allocator; NULL on -ENOMEM */

#endif
