/* An allocator that counts the bytes it has handed out and not taken back, for the
 * programs that measure a library's heap through its allocator hook (eddy_set_allocator,
 * uv_replace_allocator) rather than through malloc's statistics, which round every block
 * up and count what libc itself allocates. Each block carries its requested size in a
 * header. Header-only: each program is one file; one counter per process. */
#ifndef BENCH_COUNTED_HEAP_H
#define BENCH_COUNTED_HEAP_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef union {
    size_t size;
    max_align_t align;
} counted_head;

static size_t counted_live; /* requested bytes of the blocks alive now */

static inline void *counted_malloc(size_t n)
{
    counted_head *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    counted_live += n;
    return h + 1;
}

static inline void *counted_realloc(void *p, size_t n)
{
    if (!p)
        return counted_malloc(n);
    counted_head *old = (counted_head *)p - 1;
    size_t was = old->size;
    counted_head *h = realloc(old, sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    counted_live = counted_live - was + n;
    return h + 1;
}

static inline void *counted_calloc(size_t count, size_t size)
{
    if (size && count > ((size_t)-1 - sizeof(counted_head)) / size)
        return NULL;
    void *p = counted_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

static inline void counted_free(void *p)
{
    if (!p)
        return;
    counted_head *h = (counted_head *)p - 1;
    counted_live -= h->size;
    free(h);
}

#endif
