/* Node test: test-net-server-listen-path.js
 * Asserts: listen(path), listen({path}), listen(path, cb), listen({path}, cb) all emit
 * 'listening' (and the servers close); listen({path, readableAll, writableAll}) makes the
 * socket file readable and writable by others; listening on a path that a live server
 * holds fails with 'error' EADDRINUSE ("listen EADDRINUSE: address already in use ...").
 * eddy: eddy_server_listen_path with a 'listening' listener, and with on_listening; the
 * path and options forms are the same C call. readableAll/writableAll are
 * eddy_server_options.readable_all / writable_all: in 'listening' the socket file has
 * S_IROTH and S_IWOTH (and a server without them has S_IWOTH clear under umask 022: not
 * asserted, the umask is the environment's). The second server on a held path must get -EADDRINUSE with
 * syscall "listen" and eddy_strerror "address already in use". */
#include "node_helpers.h"

static int listenings;

static void close_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings++;
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_server_listen_path, listen_path_with_event_or_callback)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char p[4][256];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "listen-path-%d", i);
        node_tmpdir_path(&t, name, p[i], sizeof p[i]);
        eddy_server *s = eddy_create_server(env.loop, NULL, NULL, NULL);
        if (i % 2 == 0) {
            cr_assert_eq(eddy_server_listen_path(s, p[i], NULL, NULL), 0);
            eddy_on(eddy_emitter_of(s), "listening", close_on_listening, NULL);
        } else {
            cr_assert_eq(eddy_server_listen_path(s, p[i], close_on_listening, NULL), 0);
        }
    }
    node_run(&env, 5000);
    cr_assert_eq(listenings, 4);
    node_tmpdir_remove(&t);
    node_finish(&env);
}

struct inuse {
    eddy_loop *loop;
    eddy_server *srv1;
    char path[256];
    node_errors errs;
    int listenings2;
};

static void inuse_listening2(const eddy_event *ev, void *ctx) { (void)ev; ((struct inuse *)ctx)->listenings2++; }

static void inuse_error(const eddy_event *ev, void *ctx)
{
    struct inuse *u = ctx;
    node_error_listener(ev, &u->errs);
    eddy_server_close(u->srv1, NULL, NULL);
    eddy_server_close(ev->target, NULL, NULL);
}

static void inuse_listening1(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct inuse *u = ctx;
    eddy_server *s2 = eddy_create_server(u->loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(s2), "error", inuse_error, u);
    cr_assert_eq(eddy_server_listen_path(s2, u->path, inuse_listening2, u), 0);
}

Test(net_server_listen_path, listen_on_a_held_path_is_eaddrinuse)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    struct inuse u = {.loop = env.loop};
    node_tmpdir_path(&t, "held", u.path, sizeof u.path);
    u.srv1 = eddy_create_server(env.loop, NULL, NULL, NULL);
    cr_assert_eq(eddy_server_listen_path(u.srv1, u.path, inuse_listening1, &u), 0);
    node_run(&env, 5000);
    cr_assert_eq(u.listenings2, 0);
    cr_assert_eq(u.errs.count, 1);
    cr_assert_eq(u.errs.code, -EADDRINUSE, "got %s", eddy_err_name(u.errs.code));
    cr_assert_str_eq(u.errs.syscall, "listen");
    cr_assert_str_eq(eddy_strerror(u.errs.code), "address already in use");
    node_tmpdir_remove(&t);
    node_finish(&env);
}

static void mode_listening(const eddy_event *ev, void *ctx)
{
    struct stat *st = ctx;
    eddy_address a;
    cr_assert_eq(eddy_server_address(ev->target, &a), 0);
    cr_assert_eq(stat(a.address, st), 0, "stat(%s)", a.address);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_server_listen_path, readable_all_and_writable_all)
{
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char path[256];
    node_tmpdir_path(&t, "all", path, sizeof path);
    struct stat st = {0};
    eddy_server_options o = {.readable_all = true, .writable_all = true};
    eddy_server *s = eddy_create_server(env.loop, &o, NULL, NULL);
    cr_assert_eq(eddy_server_listen_path(s, path, mode_listening, &st), 0);
    node_run(&env, 5000);
    node_tmpdir_remove(&t);
    cr_assert_neq(st.st_mode & S_IROTH, 0, "mode %o", (unsigned)st.st_mode);
    cr_assert_neq(st.st_mode & S_IWOTH, 0, "mode %o", (unsigned)st.st_mode);
    node_finish(&env);
}
