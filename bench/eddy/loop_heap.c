/* Heap bytes per loop at creation, counted through eddy_set_allocator: the first loop of
 * the process (loop_heap_bytes), and the average over N loops made one after the other
 * (loop_heap_many_bytes). eddy allocates the loop itself: loop_total_bytes, which adds
 * the memory the caller provides, is the same. Loops made with eddy_loop_new (the
 * defaults). Prints "key value" lines.
 *
 *   loop_heap [N, default 16] */
#include <stdio.h>

#include "../common/counted_heap.h"
#include "eddy.h"

enum { MAX_LOOPS = 256 };

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 16;
    if (n < 1 || n > MAX_LOOPS)
        return 2;
    eddy_set_allocator(counted_malloc, counted_realloc, counted_free);
    eddy_loop *loops[MAX_LOOPS];
    size_t first = 0;
    for (int i = 0; i < n; i++) {
        loops[i] = eddy_loop_new();
        if (!loops[i]) {
            fprintf(stderr, "loop_heap: eddy_loop_new failed\n");
            return 1;
        }
        if (i == 0)
            first = counted_live;
    }
    size_t all = counted_live;
    for (int i = 0; i < n; i++)
        if (eddy_loop_free(loops[i]) != 0)
            return 1;
    size_t caller = (size_t)0;
    printf("loop_heap_bytes %zu\nloop_heap_many_bytes %.1f\nloop_total_bytes %zu\n"
           "loop_heap_left_bytes %zu\n",
           first, (double)all / n, first + caller, counted_live);
    return 0;
}
