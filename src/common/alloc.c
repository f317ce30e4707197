/* Feature macros before any header, so that a build without -D flags sees the POSIX and
 * Linux declarations this file uses (glibc, musl, uClibc; ignored elsewhere). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include "eddy/common.h"

/* The one process-wide setting: written by eddy_set_allocator before loops exist and only
 * read afterwards, so loops in different threads never race on it. */
static struct {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} allocator = {malloc, NULL, free};

void eddy_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                        void (*free_fn)(void *))
{
    if (!malloc_fn && !realloc_fn && !free_fn) {
        malloc_fn = malloc;
        free_fn = free;
    }
    if (!malloc_fn || !free_fn)
        return;
    allocator.malloc_fn = malloc_fn;
    allocator.realloc_fn = realloc_fn;
    allocator.free_fn = free_fn;
}

void *eddy__malloc(size_t n)
{
    return allocator.malloc_fn(n ? n : 1);
}

void *eddy__calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = eddy__malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *eddy__realloc(void *p, size_t old, size_t n)
{
    if (allocator.realloc_fn)
        return allocator.realloc_fn(p, n ? n : 1);
    void *q = eddy__malloc(n);
    if (q && p) {
        memcpy(q, p, old < n ? old : n);
        eddy__free(p);
    }
    return q;
}

void eddy__free(void *p)
{
    if (p)
        allocator.free_fn(p);
}

char *eddy__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = eddy__malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}
