/* Node test: test-net-server-listen-handle.js
 * Asserts: a server can listen on an existing bound handle or fd -- TCP or UNIX, as
 * listen(handle), listen({handle}), listen({_handle}) or listen({fd}), each with the
 * callback or a 'listening' listener -- and each emits 'listening' (then closes); an fd
 * that is not a socket (an open file) fails with an asynchronous 'error'
 * "listen EINVAL: invalid argument" (and the server can then be closed).
 * eddy: the handle/_handle/fd forms are one call, eddy_server_listen_fd, on a socket the
 * test bound itself (TCP on 127.0.0.1:0, UNIX on a tmpdir path), with on_listening or a
 * 'listening' listener; eddy owns the fd afterwards. The file case is expected as Node
 * has it: eddy_server_listen_fd returns 0 and an 'error' -EINVAL (syscall "listen")
 * follows from the loop. */
#include "node_helpers.h"

static int listenings;

static void close_on_listening(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    listenings++;
    eddy_server_close(ev->target, NULL, NULL);
}

static int bound_tcp(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static int bound_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void listen_on(eddy_loop *loop, int fd, bool with_cb)
{
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    if (with_cb) {
        cr_assert_eq(eddy_server_listen_fd(s, fd, close_on_listening, NULL), 0);
    } else {
        eddy_on(eddy_emitter_of(s), "listening", close_on_listening, NULL);
        cr_assert_eq(eddy_server_listen_fd(s, fd, NULL, NULL), 0);
    }
}

Test(net_server_listen_handle, tcp_fd)
{
    listenings = 0;
    node_env env = node_start();
    listen_on(env.loop, bound_tcp(), true);
    listen_on(env.loop, bound_tcp(), false);
    node_run(&env, 5000);
    cr_assert_eq(listenings, 2);
    node_finish(&env);
}

Test(net_server_listen_handle, unix_fd)
{
    listenings = 0;
    node_env env = node_start();
    node_tmpdir t;
    node_tmpdir_make(&t);
    char p1[256], p2[256];
    node_tmpdir_path(&t, "h0", p1, sizeof p1);
    node_tmpdir_path(&t, "h1", p2, sizeof p2);
    listen_on(env.loop, bound_unix(p1), true);
    listen_on(env.loop, bound_unix(p2), false);
    node_run(&env, 5000);
    cr_assert_eq(listenings, 2);
    node_tmpdir_remove(&t);
    node_finish(&env);
}

static node_errors file_errs;
static int file_listenings;
static void file_listening(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; file_listenings++; }
static void file_error(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_server_listen_handle, an_fd_that_is_not_a_socket_is_an_async_einval_error)
{
    node_env env = node_start();
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    eddy_server *s = eddy_create_server(env.loop, NULL, NULL, NULL);
    eddy_on(eddy_emitter_of(s), "error", file_error, &file_errs);
    int rc = eddy_server_listen_fd(s, fd, file_listening, NULL);
    if (rc != 0) {
        eddy_server_close(s, NULL, NULL);
        node_run(&env, 5000);
        close(fd);
        cr_assert_fail("eddy_server_listen_fd on a file returned %s at once; Node emits "
                       "'error' EINVAL (syscall listen) from the loop",
                       eddy_err_name(rc));
    }
    node_run(&env, 5000);
    cr_assert_eq(file_listenings, 0);
    cr_assert_eq(file_errs.count, 1);
    cr_assert_eq(file_errs.code, -EINVAL, "got %s", eddy_err_name(file_errs.code));
    cr_assert_str_eq(file_errs.syscall, "listen");
    if (fcntl(fd, F_GETFD) != -1)
        close(fd);
    node_finish(&env);
}
