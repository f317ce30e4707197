/* Outside Criterion (whose test processes have a thread of their own): a program that
 * uses IP literals and UNIX paths has exactly one thread, the first name lookup starts
 * the loop's resolver thread, and eddy_loop_free joins it. Prints the counts; exit 0 when
 * they are 1, 1, 2, 1. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int connects;

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    connects++;
    eddy_socket_destroy(ev->target);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void close_after(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(ctx, NULL, NULL);
}

/* Connects once to the server (host NULL: the UNIX path) and runs until all is closed. */
static int round_trip(eddy_loop *loop, const char *host, const char *path)
{
    eddy_server *srv = eddy_create_server(loop, NULL, on_connection, NULL);
    if (path ? eddy_server_listen_path(srv, path, NULL, NULL)
             : eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL))
        return -1;
    eddy_address a;
    while (eddy_server_address(srv, &a) != 0)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    eddy_socket *c = path ? eddy_create_connection_path(loop, path, on_connect, NULL)
                          : eddy_create_connection(loop, a.port, host, on_connect, NULL);
    if (!c)
        return -1;
    eddy_on(eddy_emitter_of(c), "close", close_after, srv);
    return eddy_loop_run(loop, EDDY_RUN_DEFAULT);
}

int main(void)
{
    int at_start = thread_count();
    eddy_loop *loop = eddy_loop_new();
    char dir[] = "/tmp/eddy-threads-XXXXXX", path[64];
    if (!loop || !mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/s", dir);
    if (round_trip(loop, "127.0.0.1", NULL) < 0 || round_trip(loop, NULL, path) < 0)
        return 2;
    int with_literals = thread_count();
    if (round_trip(loop, "localhost", NULL) < 0)
        return 2;
    int after_lookup = thread_count();
    int freed = eddy_loop_free(loop);
    int after_free = thread_count();
    rmdir(dir);
    printf("threads: at start %d, after IP literal and UNIX path connections %d, after the first "
           "lookup %d, after eddy_loop_free %d (connects %d, free %d)\n",
           at_start, with_literals, after_lookup, after_free, connects, freed);
    return at_start == 1 && with_literals == 1 && after_lookup == 2 && after_free == 1 &&
                   connects == 3 && freed == 0
               ? 0
               : 1;
}
