/* Node test: test-net-server-listen-remove-callback.js
 * Asserts: the listen callback is a once listener: when the server closes, no 'listening'
 * listener is left; listening again from 'close' with a new callback works, and again
 * leaves none.
 * eddy: on_listening of eddy_server_listen is documented as a once listener;
 * eddy_listener_count(server, "listening") is 0 in each 'close'. The first 'close'
 * listener listens again (eddy keeps a server that listens again from 'close'). */
#include "node_helpers.h"

static int closes, listenings, relisten_rc = 1;
static size_t counts[2] = {99, 99};

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings++;
    eddy_server_close(ev->target, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    if (closes < 2)
        counts[closes] = eddy_listener_count(eddy_emitter_of(ev->target), "listening");
    closes++;
}

static void relisten_once(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    relisten_rc = eddy_server_listen(ev->target, 0, NULL, on_listening, NULL);
}

Test(net_server_listen_remove_callback, listen_callback_is_removed_after_it_ran)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "close", on_close, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, on_listening, NULL), 0);
    eddy_once(eddy_emitter_of(srv), "close", relisten_once, NULL);
    node_run(&env, 5000);
    cr_assert_eq(relisten_rc, 0);
    cr_assert_eq(listenings, 2);
    cr_assert_eq(closes, 2);
    cr_assert_eq(counts[0], 0);
    cr_assert_eq(counts[1], 0);
    node_finish(&env);
}
