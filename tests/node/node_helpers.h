/* Shared by the translations of Node's test/parallel/test-net-*.js (tests/node/README.md).
 * Header-only, on top of ../net_helpers.h, so that each Node test stays one .c file plus
 * ../helpers.c.
 *
 * Node's common.mustCall(fn, n) becomes a counter that the listener increments and that the
 * test checks after the loop; common.mustNotCall() becomes a counter that must stay 0. Every
 * test runs its loop with a time limit and ends with every object released and no
 * descriptor leaked (node_finish). */
#ifndef EDDY_TESTS_NODE_HELPERS_H
#define EDDY_TESTS_NODE_HELPERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

/* ---- start and end of a test ---- */

/* The descriptors open before the test, and its loop. */
typedef struct {
    int fds_before;
    eddy_loop *loop;
} node_env;

static inline node_env node_start(void)
{
    node_env e;
    e.fds_before = open_fd_count();
    e.loop = eddy_loop_new();
    cr_assert_not_null(e.loop, "eddy_loop_new returned NULL");
    return e;
}

/* Runs the loop; the test fails unless it ended by itself (nothing alive) well before
 * limit_ms. */
#define node_run(env, limit_ms)                                                                    \
    cr_assert(loop_ends_by_itself((env)->loop, (limit_ms)),                                        \
              "the loop did not end by itself within %d ms", (int)(limit_ms))

/* Every object of the loop released, and no descriptor leaked. */
#define node_finish(env) assert_all_released((env)->loop, (env)->fds_before)

/* ---- listeners that count ---- */

/* Counts the 'error' events it hears and keeps the last code, syscall, address ("" for
 * NULL) and port: ctx is a node_errors. */
typedef struct {
    int count;
    int code;
    char syscall[16];
    char address[112];
    int port;
} node_errors;

static inline void node_error_listener(const eddy_event *ev, void *ctx)
{
    node_errors *e = ctx;
    e->count++;
    e->code = ev->u.error.code;
    snprintf(e->syscall, sizeof e->syscall, "%s", ev->u.error.syscall ? ev->u.error.syscall : "");
    snprintf(e->address, sizeof e->address, "%s", ev->u.error.address ? ev->u.error.address : "");
    e->port = ev->u.error.port;
}

/* Resumes the socket that emitted the event (Node's socket.resume() in a listener). */
static inline void node_resume_target(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_resume(ev->target);
}

/* A server's 'connection' listener that ends the accepted socket at once. */
static inline void node_end_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_end(ev->u.socket, NULL, 0);
}

/* Closes the server that emitted the event ('listening' listener that calls this.close()). */
static inline void node_close_target_server(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_server_close(ev->target, NULL, NULL);
}

/* A write callback that counts: ctx is an int. */
static inline void node_count_write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    (void)status;
    (*(int *)ctx)++;
}

/* ---- a temporary directory for UNIX socket paths (Node's tmpdir / common.PIPE) ---- */

typedef struct {
    char dir[96];
} node_tmpdir;

static inline void node_tmpdir_make(node_tmpdir *t)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/eddy-node-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    cr_assert_not_null(mkdtemp(t->dir), "mkdtemp failed");
}

/* dir/name into out. */
static inline void node_tmpdir_path(const node_tmpdir *t, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", t->dir, name);
}

/* Removes everything in the directory (one level), then the directory. */
static inline void node_tmpdir_remove(node_tmpdir *t)
{
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    rmdir(t->dir);
}

/* ---- the descriptor behind an eddy TCP socket (eddy does not expose it) ---- */

/* The descriptor of this process whose local address is s's local address and whose peer
 * is s's peer, or -1. Lets a test read socket options (TCP_NODELAY, SO_KEEPALIVE) that
 * eddy applied, through the public API only. */
static inline int node_fd_of(const eddy_socket *s)
{
    eddy_address local, remote;
    if (eddy_socket_address(s, &local) != 0 || eddy_socket_remote_address(s, &remote) != 0)
        return -1;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && found < 0) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        struct sockaddr_storage a, b;
        socklen_t la = sizeof a, lb = sizeof b;
        if (getsockname(fd, (struct sockaddr *)&a, &la) != 0 ||
            getpeername(fd, (struct sockaddr *)&b, &lb) != 0)
            continue;
        int pa = -1, pb = -1;
        if (a.ss_family == AF_INET) {
            pa = ntohs(((struct sockaddr_in *)&a)->sin_port);
            pb = ntohs(((struct sockaddr_in *)&b)->sin_port);
        } else if (a.ss_family == AF_INET6) {
            pa = ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
            pb = ntohs(((struct sockaddr_in6 *)&b)->sin6_port);
        }
        if (pa == local.port && pb == remote.port)
            found = fd;
    }
    closedir(d);
    return found;
}

/* An int socket option of fd, or -1. */
static inline int node_sockopt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) != 0)
        return -1;
    return v;
}

#endif
