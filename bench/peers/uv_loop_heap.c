/* libuv's side of ../eddy/loop_heap.c: loops made with uv_loop_init, their heap counted
 * through uv_replace_allocator. The uv_loop_t itself is the caller's memory (here an
 * array): loop_total_bytes adds its size to the first loop's heap.
 *
 *   uv_loop_heap [N, default 16] */
#include <stdio.h>
#include <uv.h>

#include "../common/counted_heap.h"

enum { MAX_LOOPS = 256 };

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 16;
    if (n < 1 || n > MAX_LOOPS)
        return 2;
    if (uv_replace_allocator(counted_malloc, counted_realloc, counted_calloc, counted_free))
        return 1;
    static uv_loop_t loops[MAX_LOOPS];
    size_t first = 0;
    for (int i = 0; i < n; i++) {
        if (uv_loop_init(&loops[i]) != 0) {
            fprintf(stderr, "uv_loop_heap: uv_loop_init failed\n");
            return 1;
        }
        if (i == 0)
            first = counted_live;
    }
    size_t all = counted_live;
    for (int i = 0; i < n; i++)
        if (uv_loop_close(&loops[i]) != 0)
            return 1;
    size_t caller = sizeof(uv_loop_t);
    printf("loop_heap_bytes %zu\nloop_heap_many_bytes %.1f\nloop_total_bytes %zu\n"
           "loop_heap_left_bytes %zu\n",
           first, (double)all / n, first + caller, counted_live);
    return 0;
}
