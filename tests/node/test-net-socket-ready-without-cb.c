/* Node test: test-net-socket-ready-without-cb.js
 * Asserts: a new Socket connected with socket.connect(server.address()) -- the address
 * object itself, no callback -- emits 'ready', where it ends; the server (listening on
 * 'localhost') ends the connection and closes.
 * eddy: eddy_socket_new, then eddy_socket_connect_opts with the fields of the server's
 * eddy_address (address as host, port) and no on_connect; 'ready' is counted. Also
 * checked: 'connect' came before 'ready'. */
#include "node_helpers.h"

struct ctx {
    eddy_loop *loop;
    eddy_server *srv;
    int connections, readies, rc;
    net_log log;
};

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    x->connections++;
    eddy_socket_end(ev->u.socket, NULL, 0);
    eddy_server_close(x->srv, NULL, NULL);
}

static void on_ready(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->readies++;
    eddy_socket_end(ev->target, NULL, 0);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    struct ctx *x = ctx;
    eddy_address a;
    cr_assert_eq(eddy_server_address(ev->target, &a), 0);
    eddy_socket *c = eddy_socket_new(x->loop, NULL);
    cr_assert_not_null(c);
    net_record(&x->log, c, "client", "connect ready");
    eddy_on(eddy_emitter_of(c), "ready", on_ready, x);
    eddy_connect_options o = {.host = a.address, .port = a.port};
    x->rc = eddy_socket_connect_opts(c, &o, NULL, NULL);
    if (x->rc != 0) {
        eddy_socket_destroy(c);
        eddy_server_close(x->srv, NULL, NULL);
    }
}

Test(net_socket_ready_without_cb, ready_is_emitted)
{
    node_env env = node_start();
    struct ctx x = {.loop = env.loop};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "localhost", on_listening, &x), 0);
    node_run(&env, 5000);
    cr_assert_eq(x.rc, 0, "eddy_socket_connect_opts: %s", eddy_err_name(x.rc));
    cr_assert_eq(x.connections, 1);
    cr_assert_eq(x.readies, 1);
    cr_assert_str_eq(x.log.text, "client:connect client:ready");
    node_finish(&env);
}
