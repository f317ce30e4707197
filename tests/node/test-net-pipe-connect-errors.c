/* Node test: test-net-pipe-connect-errors.js
 * Asserts: connecting to a UNIX path that is a regular file fails with ENOTSOCK or
 * ECONNREFUSED; to a path that does not exist with ENOENT; to a listening socket file
 * whose mode is 0 with EACCES (skipped as root, where chmod does not restrict); the
 * connect callbacks never run.
 * eddy: eddy_create_connection_path in each case; 'error' with that code and syscall
 * "connect", never 'connect'. The paths are in a mkdtemp directory. */
#include "node_helpers.h"

struct res {
    int connects;
    node_errors errs;
};

static void on_connect(const eddy_event *ev, void *ctx) { (void)ev; ((struct res *)ctx)->connects++; }

static void try_connect(eddy_loop *loop, const char *path, struct res *r)
{
    eddy_socket *c = eddy_create_connection_path(loop, path, on_connect, r);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &r->errs);
}

Test(net_pipe_connect_errors, regular_file_and_missing_path)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char file[256], missing[256];
    node_tmpdir_path(&t, "0.txt", file, sizeof file);
    node_tmpdir_path(&t, "no-ent-file", missing, sizeof missing);
    int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    close(fd);
    struct res notsock = {0}, noent = {0};
    try_connect(env.loop, file, &notsock);
    try_connect(env.loop, missing, &noent);
    node_run(&env, 5000);
    cr_assert_eq(notsock.connects, 0);
    cr_assert_eq(notsock.errs.count, 1);
    cr_assert(notsock.errs.code == -ENOTSOCK || notsock.errs.code == -ECONNREFUSED, "got %s",
              eddy_err_name(notsock.errs.code));
    cr_assert_str_eq(notsock.errs.syscall, "connect");
    cr_assert_eq(noent.connects, 0);
    cr_assert_eq(noent.errs.count, 1);
    cr_assert_eq(noent.errs.code, -ENOENT, "got %s", eddy_err_name(noent.errs.code));
    node_tmpdir_remove(&t);
    node_finish(&env);
}

struct acc {
    eddy_loop *loop;
    eddy_server *srv;
    char path[256];
    struct res r;
    int server_conns;
};

static void acc_conn(const eddy_event *ev, void *ctx) { (void)ev; ((struct acc *)ctx)->server_conns++; }

static void acc_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct acc *a = ctx;
    eddy_server_close(a->srv, NULL, NULL);
}

static void acc_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct acc *a = ctx;
    cr_assert_eq(chmod(a->path, 0), 0);
    bool root = geteuid() == 0;
    if (root)
        cr_assert_eq(seteuid(65534), 0);
    eddy_socket *c = eddy_create_connection_path(a->loop, a->path, on_connect, &a->r);
    if (root)
        cr_assert_eq(seteuid(0), 0);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", node_error_listener, &a->r.errs);
    eddy_on(eddy_emitter_of(c), "error", acc_error, a);
}

Test(net_pipe_connect_errors, socket_without_permission_is_eacces)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    cr_assert_eq(chmod(t.dir, 0711), 0);
    struct acc a = {.loop = env.loop};
    node_tmpdir_path(&t, "pipe", a.path, sizeof a.path);
    a.srv = eddy_create_server(env.loop, NULL, acc_conn, &a);
    cr_assert_eq(eddy_server_listen_path(a.srv, a.path, acc_listening, &a), 0);
    node_run(&env, 5000);
    cr_assert_eq(a.r.connects, 0);
    cr_assert_eq(a.server_conns, 0);
    cr_assert_eq(a.r.errs.count, 1);
    cr_assert_eq(a.r.errs.code, -EACCES, "got %s", eddy_err_name(a.r.errs.code));
    node_tmpdir_remove(&t);
    node_finish(&env);
}
