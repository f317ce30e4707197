/* Node test: test-net-listen-fd0.js
 * Asserts: listen({fd: 0}) -- stdin, not a listening socket -- does not throw but emits an
 * asynchronous 'error' EINVAL or ENOTSOCK; the connection listener never runs.
 * eddy: eddy_server_listen_fd on a duplicate of fd 0 (so that eddy closing it cannot
 * close the test runner's stdin) -- or, when fd 0 is closed, on /dev/null -- must return
 * 0 and the 'error' (-EINVAL or -ENOTSOCK, syscall "listen") must follow from the loop.
 * (When the test's stdin is itself a socket this does not test the same thing, and is
 * skipped.) */
#include "node_helpers.h"

static node_errors errs;
static int conns;
static void on_connection(const eddy_event *ev, void *ctx) { (void)ev; (void)ctx; conns++; }
static void on_error(const eddy_event *ev, void *ctx)
{
    node_error_listener(ev, ctx);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(net_listen_fd0, listen_on_stdin_is_an_async_error)
{
    struct stat st;
    if (fstat(0, &st) == 0 && S_ISSOCK(st.st_mode))
        cr_skip_test("stdin is a socket here");
    node_env env = node_start();
    int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    eddy_server *s = eddy_create_server(env.loop, NULL, on_connection, NULL);
    eddy_on(eddy_emitter_of(s), "error", on_error, &errs);
    int rc = eddy_server_listen_fd(s, fd, NULL, NULL);
    if (rc != 0) {
        eddy_server_close(s, NULL, NULL);
        node_run(&env, 5000);
        close(fd);
        cr_assert_fail("eddy_server_listen_fd(stdin) returned %s at once; Node emits 'error' "
                       "(EINVAL or ENOTSOCK) from the loop",
                       eddy_err_name(rc));
    }
    node_run(&env, 5000);
    cr_assert_eq(errs.count, 1);
    cr_assert(errs.code == -EINVAL || errs.code == -ENOTSOCK, "got %s", eddy_err_name(errs.code));
    cr_assert_eq(conns, 0);
    if (fcntl(fd, F_GETFD) != -1)
        close(fd);
    node_finish(&env);
}
