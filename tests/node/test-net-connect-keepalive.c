/* Node test: test-net-connect-keepalive.js
 * Asserts: connect({keepAlive: truthy, keepAliveInitialDelay: d}) calls the handle's
 * setKeepAlive(true, seconds) once connected, with d = 123 -> 0 s, 456123 -> 456 s,
 * -123000 -> 0, undefined -> 0; with keepAlive falsy setKeepAlive is never called. The
 * client then ends and gets 'end'. (node v20 on Linux, checked with strace: 456123 gives
 * SO_KEEPALIVE 1 and TCP_KEEPIDLE 456; 123 gives SO_KEEPALIVE 1, TCP_KEEPIDLE 0 is refused
 * by the kernel and the default idle time stays.)
 * eddy: the option form is eddy_connect with eddy_connect_options.keep_alive and
 * keep_alive_initial_delay_ms (the *_option tests); the other form is
 * eddy_socket_set_keep_alive before eddy_socket_connect ("remembered and applied once
 * connected"). In 'connect' the socket's descriptor (found by its
 * addresses) must have SO_KEEPALIVE 1, and TCP_KEEPIDLE 456 for 456123 ms; without
 * set_keep_alive, SO_KEEPALIVE stays 0. Negative and undefined delays have no C form
 * (uint64_t); 0 is the "no delay given" case. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    bool enable, call, option;
    uint64_t delay_ms;
    int set_rc, keepalive, idle, ends;
};

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    int fd = node_fd_of(ev->target);
    cr_assert_geq(fd, 0, "the client's descriptor was not found");
    x->keepalive = node_sockopt(fd, SOL_SOCKET, SO_KEEPALIVE);
    x->idle = node_sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE);
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_end(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct ctx *x = ctx;
    x->ends++;
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    if (x->option) {
        eddy_connect_options o = {.host = "127.0.0.1", .port = server_port(ev->target),
                                  .keep_alive = x->enable, .keep_alive_initial_delay_ms = x->delay_ms};
        eddy_socket *c = eddy_connect(x->loop, &o, on_connect, x);
        cr_assert_not_null(c);
        eddy_on(eddy_emitter_of(c), "end", on_end, x);
        return;
    }
    eddy_socket *c = eddy_socket_new(x->loop, NULL);
    cr_assert_not_null(c);
    if (x->call)
        x->set_rc = eddy_socket_set_keep_alive(c, x->enable, x->delay_ms);
    eddy_on(eddy_emitter_of(c), "end", on_end, x);
    cr_assert_eq(eddy_socket_connect(c, server_port(ev->target), "127.0.0.1", on_connect, x), 0);
}

static struct ctx run_with(bool option, bool call, bool enable, uint64_t delay_ms)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .option = option, .call = call, .enable = enable, .delay_ms = delay_ms};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.set_rc, 0, "eddy_socket_set_keep_alive before connect: %s", eddy_err_name(x.set_rc));
    node_finish(&env);
    return x;
}

static struct ctx run(bool call, bool enable, uint64_t delay_ms) { return run_with(false, call, enable, delay_ms); }

Test(net_connect_keepalive, delay_0)
{
    struct ctx x = run(true, true, 0);
    cr_assert_eq(x.keepalive, 1);
}

Test(net_connect_keepalive, delay_123_ms)
{
    struct ctx x = run(true, true, 123);
    cr_assert_eq(x.keepalive, 1);
}

Test(net_connect_keepalive, delay_456123_ms_is_456_s)
{
    struct ctx x = run(true, true, 456123);
    cr_assert_eq(x.keepalive, 1);
    cr_assert_eq(x.idle, 456, "TCP_KEEPIDLE %d (Node floors 456123 ms to 456 s)", x.idle);
}

Test(net_connect_keepalive, not_enabled)
{
    struct ctx x = run(false, false, 0);
    cr_assert_eq(x.keepalive, 0);
}

Test(net_connect_keepalive, disabled_explicitly)
{
    struct ctx x = run(true, false, 0);
    cr_assert_eq(x.keepalive, 0);
}

Test(net_connect_keepalive, delay_123_ms_option)
{
    struct ctx x = run_with(true, false, true, 123);
    cr_assert_eq(x.keepalive, 1);
}

Test(net_connect_keepalive, delay_456123_ms_option_is_456_s)
{
    struct ctx x = run_with(true, false, true, 456123);
    cr_assert_eq(x.keepalive, 1);
    cr_assert_eq(x.idle, 456, "TCP_KEEPIDLE %d (Node floors 456123 ms to 456 s)", x.idle);
}

Test(net_connect_keepalive, not_enabled_option)
{
    struct ctx x = run_with(true, false, false, 456123);
    cr_assert_eq(x.keepalive, 0);
}
