/* Outside Criterion (whose arena does not start under ThreadSanitizer): many lookups at
 * once on the worker pool, half of the sockets destroyed while their lookup is in flight,
 * eddy_loop_free refused (-EBUSY) while any is, then every result delivered or dropped and
 * the workers joined. Meant for -Db_sanitize=thread and valgrind; exit 0 when all went as
 * expected. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eddy.h"

enum { CLIENTS = 40 };

static int connects, closes, closes_with_error, lookups;
static eddy_server *srv;

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    connects++;
    eddy_socket_destroy(ev->target);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    closes++;
    closes_with_error += ev->u.had_error;
    if (closes == CLIENTS)
        eddy_server_close(srv, NULL, NULL);
}

static void on_lookup(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    lookups++;
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

int main(void)
{
    eddy_loop *loop = eddy_loop_new();
    srv = eddy_create_server(loop, NULL, on_connection, NULL);
    eddy_server_listen(srv, 0, "127.0.0.1", NULL, NULL);
    eddy_address a;
    while (eddy_server_address(srv, &a) != 0)
        eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    for (int i = 0; i < CLIENTS; i++) {
        eddy_connect_options o = {
            .port = a.port, .host = i % 4 == 3 ? "no.such.invalid" : "localhost", .family = 4};
        eddy_socket *c = eddy_connect(loop, &o, on_connect, NULL);
        eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
        eddy_on(eddy_emitter_of(c), "lookup", on_lookup, NULL);
        eddy_on(eddy_emitter_of(c), "error", on_lookup, NULL); /* expected for .invalid */
        if (i % 2 == 0)
            eddy_socket_destroy(c); /* during its lookup */
    }
    eddy_loop_run(loop, EDDY_RUN_NOWAIT);
    int busy = eddy_loop_free(loop); /* lookups still in flight (or at least the server) */
    while (eddy_loop_run(loop, EDDY_RUN_DEFAULT) > 0)
        ;
    int freed = eddy_loop_free(loop);
    printf("resolve_stress: %d clients, %d connects, %d closes (%d with error), free %d then "
           "%d\n",
           CLIENTS, connects, closes, closes_with_error, busy, freed);
    /* odd i: not destroyed; of those, i % 4 == 3 fail (ENOTFOUND), i % 4 == 1 connect */
    return busy == -EBUSY && freed == 0 && closes == CLIENTS && connects == CLIENTS / 4 &&
                   closes_with_error == CLIENTS / 4
               ? 0
               : 1;
}
