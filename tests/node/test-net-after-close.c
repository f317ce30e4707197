/* Node test: test-net-after-close.js
 * Asserts: in a socket's 'close' listener (after the server ended it) every call on the
 * closed socket is harmless: setNoDelay, setKeepAlive, bufferSize, pause, resume,
 * address(), remoteAddress, remotePort.
 * eddy: the same calls on the socket in its 'close' listener must not crash and must not
 * emit anything; the addresses are still readable in 'close' (documented) and
 * eddy_socket_buffer_size is 0. */
#include "node_helpers.h"

static int conns, closes, errors_after;
static size_t bufsize = 99;
static int rc_addr = 1, rc_remote = 1;

static void on_error(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; errors_after++; }

static void on_close(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = ev->target;
    closes++;
    eddy_on(eddy_emitter_of(c), "error", on_error, NULL);
    eddy_socket_set_no_delay(c, true);
    eddy_socket_set_keep_alive(c, true, 0);
    bufsize = eddy_socket_buffer_size(c);
    eddy_socket_pause(c);
    eddy_socket_resume(c);
    eddy_address a;
    rc_addr = eddy_socket_address(c, &a);
    rc_remote = eddy_socket_remote_address(c, &a);
    eddy_server_close(ctx, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    conns++;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    eddy_socket *c = eddy_create_connection(ctx, server_port(ev->target), "127.0.0.1", NULL, NULL);
    eddy_on(eddy_emitter_of(c), "close", on_close, ev->target);
}

Test(net_after_close, calls_on_a_closed_socket_are_harmless)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, on_connection, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, "127.0.0.1", on_listening, env.loop), 0);
    node_run(&env, 5000);
    cr_assert_eq(conns, 1);
    cr_assert_eq(closes, 1);
    cr_assert_eq(bufsize, 0);
    cr_assert_eq(rc_addr, 0, "the local address is documented as readable in 'close'");
    cr_assert_eq(rc_remote, 0, "the remote address is documented as readable in 'close'");
    cr_assert_eq(errors_after, 0);
    node_finish(&env);
}
