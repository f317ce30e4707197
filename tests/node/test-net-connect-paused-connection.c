/* Node test: test-net-connect-paused-connection.js
 * Asserts: a client that is paused (and never writes), connected to an unref'd server
 * whose accepted socket is unref'd, does not keep the process alive: it exits before an
 * unref'd 1 s timer (node v20, checked: the client connects, then the process exits --
 * a handle that neither reads nor writes is not active in libuv).
 * eddy: the same; the loop must end by itself before the 1 s timer. Afterwards the
 * remaining objects are destroyed and released by a second run. */
#include "node_helpers.h"

struct ctx {
    eddy_server *srv;
    eddy_socket *client, *conn;
    int connects, fired;
};

static void must_not_fire(void *arg) { ((struct ctx *)arg)->fired++; }
static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; ((struct ctx *)ctx)->connects++; }

static void on_connection(const eddy_event *ev, void *ctx)
{
    ((struct ctx *)ctx)->conn = ev->u.socket;
    eddy_socket_unref(ev->u.socket);
}

Test(net_connect_paused_connection, paused_client_does_not_hold_the_loop)
{
    node_env env = node_start();
    struct ctx x = {0};
    x.srv = eddy_create_server(env.loop, NULL, on_connection, &x);
    cr_assert_eq(eddy_server_listen(x.srv, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_server_unref(x.srv);
    x.client = eddy_create_connection(env.loop, server_port(x.srv), "localhost", on_connect, &x);
    cr_assert_not_null(x.client);
    eddy_socket_pause(x.client);
    eddy_timer *t = eddy_set_timeout(env.loop, 1000, must_not_fire, &x);
    eddy_timer_unref(t);
    run_loop_for(env.loop, 3000);
    bool fired = x.fired;
    if (!fired)
        eddy_clear_timer(t);
    eddy_socket_destroy(x.client);
    if (x.conn)
        eddy_socket_destroy(x.conn);
    eddy_server_close(x.srv, NULL, NULL);
    node_run(&env, 5000);
    cr_assert_eq(x.connects, 1);
    cr_assert_eq(fired, false, "the paused client kept the loop alive past the 1 s timer");
    node_finish(&env);
}
