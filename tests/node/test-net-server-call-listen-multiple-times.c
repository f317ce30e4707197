/* Node test: test-net-server-call-listen-multiple-times.js
 * Asserts: (1) after an EADDRINUSE 'error' a server can listen right away; (2) listen()
 * on a server that is already listening throws ERR_SERVER_ALREADY_LISTEN; (3) after
 * close(), listen() can be called at once (in the same callback) and works.
 * eddy: (1) eddy_server_listen from the 'error' listener; (2) the second
 * eddy_server_listen returns -EINVAL (documented "already listening"); (3) in
 * 'listening', eddy_server_close then eddy_server_listen at once: the second listen
 * must succeed and its 'listening' come. */
#include "node_helpers.h"

/* (1) */
static eddy_server *dummy;
static int relistened1;

static void t1_on_listening_again(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    relistened1++;
    eddy_server_close(dummy, NULL, NULL);
    eddy_server_close(ev->target, NULL, NULL);
}

static void t1_on_error(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    cr_assert_eq(eddy_server_listen(ev->target, 0, NULL, t1_on_listening_again, NULL), 0);
}

static void t1_dummy_listening(const eddy_event *ev, void *ctx)
{
    cr_assert_eq(eddy_server_listen(ctx, server_port(ev->target), NULL, NULL, NULL), 0);
}

Test(net_server_call_listen_multiple_times, listen_again_after_an_error)
{
    node_env env = node_start();
    dummy = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(srv), "error", t1_on_error, NULL);
    cr_assert_eq(eddy_server_listen(dummy, 0, NULL, t1_dummy_listening, srv), 0);
    node_run(&env, 5000);
    cr_assert_eq(relistened1, 1);
    node_finish(&env);
}

/* (2) */
static int t2_listenings;
static void t2_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    t2_listenings++;
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_server_call_listen_multiple_times, second_listen_while_listening_is_refused)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, t2_on_listening, NULL), 0);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, NULL, NULL), -EINVAL);
    node_run(&env, 5000);
    cr_assert_eq(t2_listenings, 1);
    node_finish(&env);
}

/* (3) */
static int t3_first, t3_second, t3_rc = 1;
static void t3_on_second(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    t3_second++;
    eddy_server_close(ev->target, NULL, NULL);
}

static void t3_on_first(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    t3_first++;
    eddy_server_close(ev->target, NULL, NULL);
    t3_rc = eddy_server_listen(ev->target, 0, NULL, t3_on_second, NULL);
}

Test(net_server_call_listen_multiple_times, listen_right_after_close)
{
    node_env env = node_start();
    eddy_server *srv = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen(srv, 0, NULL, t3_on_first, NULL), 0);
    node_run(&env, 5000);
    cr_assert_eq(t3_first, 1);
    cr_assert_eq(t3_rc, 0);
    cr_assert_eq(t3_second, 1);
    node_finish(&env);
}
