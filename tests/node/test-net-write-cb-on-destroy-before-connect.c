/* Node test: test-net-write-cb-on-destroy-before-connect.js
 * Asserts: a write made while connecting, followed by destroy(), gets its callback called
 * with an error (ERR_SOCKET_CLOSED_BEFORE_CONNECTION); 'connect' never comes.
 * eddy: eddy_socket_new + eddy_socket_connect, eddy_socket_write with a callback, then
 * eddy_socket_destroy: the callback must run once with a negative status (eddy documents
 * -ECANCELED) and 'connect' never. */
#include "node_helpers.h"

static int connects, cbs, cb_status;

static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connects++; }
static void write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    (void)ctx;
    cbs++;
    cb_status = status;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_socket *s = eddy_socket_new(ctx, NULL);
    cr_assert_not_null(s);
    eddy_on(eddy_emitter_of(s), "connect", on_connect, NULL);
    cr_assert_eq(eddy_socket_connect(s, server_port(ev->target), "127.0.0.1", NULL, NULL), 0);
    eddy_socket_write(s, "foo", 3, write_cb, NULL);
    eddy_socket_destroy(s);
    cr_assert_eq(cbs, 0, "the callback ran inside the eddy call");
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_write_cb_on_destroy_before_connect, queued_write_is_cancelled)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(connects, 0);
    cr_assert_eq(cbs, 1);
    cr_assert_lt(cb_status, 0);
    node_finish(&env);
}
