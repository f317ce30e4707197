/* Node test: test-net-writable.js
 * Asserts: when the server ends the connection, the client's 'end' listener still finds
 * the socket writable (allowHalfOpen false: it ends its own side only after 'end'), and a
 * write there works.
 * eddy: in the client's 'end' listener eddy_socket_writable is true, and
 * eddy_socket_write("hello world") must return true (not the after-end false) with no
 * 'error' following; the client then closes cleanly. */
#include "node_helpers.h"

static int conns, ends, closes;
static bool write_ret, writable_in_end;
static node_errors errs;

static void on_connection(const eddy_event *ev, void *ctx)
{
    conns++;
    eddy_server_close(ctx, NULL, NULL);
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    ends++;
    writable_in_end = eddy_socket_writable(ev->target);
    write_ret = eddy_socket_write(ev->target, "hello world", 11, NULL, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(ev->u.had_error, false);
    closes++;
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = eddy_create_connection(ctx, server_port(ev->target), "127.0.0.1", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "end", on_end, NULL);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &errs);
}

Test(net_writable, socket_is_writable_in_its_end_listener)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "connection", on_connection, srv);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(conns, 1);
    cr_assert_eq(ends, 1);
    cr_assert(writable_in_end, "not writable in 'end'");
    cr_assert(write_ret, "write in 'end' returned false");
    cr_assert_eq(errs.count, 0, "error %s", eddy_err_name(errs.code));
    cr_assert_eq(closes, 1);
    node_finish(&env);
}
