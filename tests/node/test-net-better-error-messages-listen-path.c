/* Node test: test-net-better-error-messages-listen-path.js
 * Asserts: listening on a UNIX path in a directory that does not exist emits 'error'
 * (never 'listening' nor 'connection') and the error carries the path (e.address).
 * eddy: eddy_server_listen_path on "<tmpdir>/no-such-dir/sock"; the 'error' must come
 * from the loop with syscall "listen" and a negative errno (Node: EACCES or ENOENT on
 * the test's /blah path; here ENOENT), whose u.error.address is the path (e.address). */
#include "node_helpers.h"

static int listenings, connections;
static node_errors errs;

static void on_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; listenings++; }
static void on_connection(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connections++; }
static void on_error(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_better_error_messages_listen_path, listen_on_a_path_that_cannot_be_bound_is_an_error)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char path[256];
    node_tmpdir_path(&t, "no-such-dir/sock", path, sizeof path);
    eddy_server *srv = eddy_create_server(env.loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(srv), "error", on_error, &errs);
    cr_assert_eq(eddy_server_listen_path(srv, path, on_listening, NULL), 0,
                 "the failure must come as an 'error' event, not a return value");
    cr_assert_eq(errs.count, 0, "'error' was emitted from inside the listen call");
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert_eq(errs.code, -ENOENT, "got %s", eddy_err_name(errs.code));
    cr_assert_str_eq(errs.syscall, "listen");
    cr_assert_str_eq(errs.address, path);
    cr_assert_eq(listenings, 0);
    cr_assert_eq(connections, 0);
    node_tmpdir_remove(&t);
    node_finish(&env);
}
