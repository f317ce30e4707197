/* Node test: test-net-better-error-messages-path.js
 * Asserts: connecting to a UNIX path that does not exist emits 'error' with code ENOENT
 * (message "connect ENOENT <path>") and never 'connect'. (Its second half, a path given as
 * an object, is a JS type check.)
 * eddy: eddy_create_connection_path on a missing path in a fresh tmpdir; 'error' ENOENT
 * with syscall "connect", then 'close'(true). The message's path has no eddy field. */
#include "node_helpers.h"

static int connects, closes;
static bool close_had_error;
static node_errors errs;

static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; connects++; }
static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    closes++;
    close_had_error = ev->u.had_error;
}

Test(net_better_error_messages_path, connect_to_a_missing_path_is_enoent)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char path[256];
    node_tmpdir_path(&t, "fadagagsdfgsdf", path, sizeof path);
    eddy_socket *c = eddy_create_connection_path(env.loop, path, on_connect, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &errs);
    eddy_on(eddy_emitter_of(c), "close", on_close, NULL);
    node_run(&env, 5000);
    cr_assert_eq(connects, 0);
    cr_assert_eq(errs.count, 1);
    cr_assert_eq(errs.code, -ENOENT, "got %s", eddy_err_name(errs.code));
    cr_assert_str_eq(errs.syscall, "connect");
    cr_assert_eq(closes, 1);
    cr_assert(close_had_error);
    node_tmpdir_remove(&t);
    node_finish(&env);
}
