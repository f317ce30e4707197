/* Node test: test-net-connect-nodelay.js
 * Asserts: connect({noDelay: truthy}) calls the handle's setNoDelay(true) once connected;
 * with noDelay falsy setNoDelay is never called (TCP_NODELAY stays off). The client then
 * ends and gets 'end'.
 * eddy: the option form is eddy_connect with eddy_connect_options.no_delay (true and
 * false); the other form, eddy_socket_set_no_delay before eddy_socket_connect, is
 * "remembered and applied once connected" (true, false, not called). In 'connect' the
 * descriptor (found by its addresses) must have TCP_NODELAY 1 after set_no_delay(true),
 * and 0 when it was not called or called with false. JS truthy/falsy values are one C
 * bool. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int mode; /* 0: not called, 1: true, 2: false; eddy_connect with no_delay 3: true, 4: false */
    int set_rc, nodelay, ends;
};

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    int fd = node_fd_of(ev->target);
    cr_assert_geq(fd, 0);
    x->nodelay = node_sockopt(fd, IPPROTO_TCP, TCP_NODELAY);
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
    if (x->mode >= 3) {
        eddy_connect_options o = {.host = "127.0.0.1", .port = server_port(ev->target), .no_delay = x->mode == 3};
        eddy_socket *c = eddy_connect(x->loop, &o, on_connect, x);
        cr_assert_not_null(c);
        eddy_on(eddy_emitter_of(c), "end", on_end, x);
        return;
    }
    eddy_socket *c = eddy_socket_new(x->loop, NULL);
    cr_assert_not_null(c);
    if (x->mode)
        x->set_rc = eddy_socket_set_no_delay(c, x->mode == 1);
    eddy_on(eddy_emitter_of(c), "end", on_end, x);
    cr_assert_eq(eddy_socket_connect(c, server_port(ev->target), "127.0.0.1", on_connect, x), 0);
}

static int run(int mode)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop, .mode = mode, .nodelay = -1};
    x.srv = eddy_create_server(env.loop, NULL, node_end_connection, NULL);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.ends, 1);
    cr_assert_eq(x.set_rc, 0);
    node_finish(&env);
    return x.nodelay;
}

Test(net_connect_nodelay, no_delay_true_is_applied_once_connected) { cr_assert_eq(run(1), 1); }
Test(net_connect_nodelay, no_delay_false_leaves_it_off) { cr_assert_eq(run(2), 0); }
Test(net_connect_nodelay, not_called_leaves_it_off) { cr_assert_eq(run(0), 0); }
Test(net_connect_nodelay, connect_option_no_delay_true) { cr_assert_eq(run(3), 1); }
Test(net_connect_nodelay, connect_option_no_delay_false) { cr_assert_eq(run(4), 0); }
