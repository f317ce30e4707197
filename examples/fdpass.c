/* fdpass: hands a listening socket to a second process, as Node's
 * child.send('server', server) does. The parent binds and listens, starts a child
 * connected to it by a UNIX socketpair, sends it the listening descriptor (SCM_RIGHTS,
 * eddy_socket_write_fd) and closes its own copy; the child receives it as an 'fd' event
 * and serves on it (eddy_server_listen_fd). The child never had the descriptor before:
 * it closes its inherited copy right after fork, so what it serves on came over the
 * socket.
 *
 *   fdpass [port]      (default 0: any port; both processes print what they do)
 * The child greets each connection with "hello from pid N" and echoes. SIGINT or SIGTERM
 * to the parent is passed to the child; the parent exits with the child's status (0 after
 * a clean close) once its SIGCHLD watcher has reaped it. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy.h"

enum { MAX_CONNS = 1024 };

/* ---- the child: serves on the descriptor it receives ---- */

static struct {
    eddy_loop *loop;
    eddy_server *server;
    eddy_socket *parent;
    eddy_socket *conns[MAX_CONNS];
    int status;
} child;

static void child_conn_close(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    for (int i = 0; i < MAX_CONNS; i++)
        if (child.conns[i] == ev->target)
            child.conns[i] = NULL;
}

static void child_conn_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* a reset: 'close' follows */
}

static void child_connection(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *c = ev->u.socket;
    for (int i = 0; i < MAX_CONNS; i++)
        if (!child.conns[i]) {
            child.conns[i] = c;
            break;
        }
    eddy_on(eddy_emitter_of(c), "close", child_conn_close, NULL);
    eddy_on(eddy_emitter_of(c), "error", child_conn_error, NULL);
    char hello[64];
    int n = snprintf(hello, sizeof hello, "hello from pid %d\n", (int)getpid());
    eddy_socket_write(c, hello, (size_t)n, NULL, NULL);
    eddy_socket_pipe(c, c, true);
}

static void child_got_fd(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    int rc = eddy_server_listen_fd(child.server, ev->u.fd, NULL, NULL);
    if (rc < 0) {
        fprintf(stderr, "fdpass child: listen_fd: %s\n", eddy_strerror(rc));
        close(ev->u.fd);
        child.status = 1;
        return;
    }
    printf("fdpass child %d: serving on the descriptor from the parent\n", (int)getpid());
    fflush(stdout);
}

static void child_stop(void)
{
    eddy_server_close(child.server, NULL, NULL);
    for (int i = 0; i < MAX_CONNS; i++)
        if (child.conns[i])
            eddy_socket_destroy(child.conns[i]);
    if (child.parent)
        eddy_socket_destroy(child.parent);
    eddy_loop_close_all(child.loop);
}

static void child_parent_gone(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    child.parent = NULL;
    child_stop(); /* the parent went away: so do we */
}

static void child_signal(int signum, void *ctx)
{
    (void)signum;
    (void)ctx;
    child_stop();
}

static int run_child(int channel)
{
    child.loop = eddy_loop_new();
    if (!child.loop)
        return 1;
    child.server = eddy_create_server(child.loop, NULL, child_connection, NULL);
    eddy_socket_options o = {.fd = channel, .type = "unix"};
    child.parent = eddy_socket_new(child.loop, &o);
    if (!child.server || !child.parent)
        return 1;
    eddy_on(eddy_emitter_of(child.parent), "fd", child_got_fd, NULL);
    eddy_on(eddy_emitter_of(child.parent), "close", child_parent_gone, NULL);
    eddy_signal_start(child.loop, SIGTERM, child_signal, NULL);
    eddy_signal_start(child.loop, SIGINT, child_signal, NULL);
    eddy_loop_run(child.loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(child.loop) == 0 ? child.status : 1;
}

/* ---- the parent: listens, hands the descriptor over, waits for the child ---- */

static struct {
    eddy_loop *loop;
    eddy_socket *channel;
    pid_t child;
    int listen_fd;
    int status;
} parent = {.listen_fd = -1};

static void parent_sent(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    (void)ctx;
    if (status < 0)
        fprintf(stderr, "fdpass: sending the descriptor: %s\n", eddy_strerror(status));
    else
        printf("fdpass parent %d: listening socket handed to child %d\n", (int)getpid(),
               (int)parent.child);
    fflush(stdout);
    close(parent.listen_fd); /* the child's copy is the only one now */
    parent.listen_fd = -1;
}

static void parent_signal(int signum, void *ctx)
{
    (void)ctx;
    if (signum == SIGCHLD) {
        int st;
        if (waitpid(parent.child, &st, WNOHANG) != parent.child)
            return;
        parent.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        printf("fdpass parent: child exited with status %d\n", parent.status);
        fflush(stdout);
        if (parent.channel)
            eddy_socket_destroy(parent.channel);
        eddy_loop_close_all(parent.loop);
        return;
    }
    kill(parent.child, SIGTERM);
}

static void parent_channel_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx; /* the child went away: SIGCHLD says how */
}

static void parent_channel_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    parent.channel = NULL; /* its memory goes after this 'close': forget the pointer */
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGCHLD, SIG_DFL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 511) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("fdpass: listen");
        return 1;
    }
    printf("fdpass parent %d: listening on 127.0.0.1 port %d\n", (int)getpid(), ntohs(a.sin_port));
    fflush(stdout);
    int sp[2];
    /* SOCK_CLOEXEC is not everywhere (macOS): fcntl after the fact, before any exec. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 || fcntl(sp[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(sp[1], F_SETFD, FD_CLOEXEC) < 0) {
        perror("fdpass: socketpair");
        return 1;
    }
    /* SIGCHLD is blocked across the fork and the watcher's start, so an early exit of the
     * child stays pending until the watcher can hear it. The fork comes before any loop:
     * a child must not inherit loops or signal watchers (see docs/guide.md, signals). */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    parent.child = fork();
    if (parent.child < 0) {
        perror("fdpass: fork");
        return 1;
    }
    if (parent.child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fd);
        close(sp[0]);
        return run_child(sp[1]);
    }
    parent.loop = eddy_loop_new();
    if (!parent.loop)
        return 1;
    eddy_signal_start(parent.loop, SIGCHLD, parent_signal, NULL);
    eddy_signal_start(parent.loop, SIGINT, parent_signal, NULL);
    eddy_signal_start(parent.loop, SIGTERM, parent_signal, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(sp[1]);
    parent.listen_fd = fd;
    eddy_socket_options o = {.fd = sp[0], .type = "unix"};
    parent.channel = eddy_socket_new(parent.loop, &o);
    if (!parent.channel)
        return 1;
    eddy_on(eddy_emitter_of(parent.channel), "error", parent_channel_error, NULL);
    eddy_on(eddy_emitter_of(parent.channel), "close", parent_channel_close, NULL);
    eddy_socket_write_fd(parent.channel, "L", 1, fd, parent_sent, NULL);
    eddy_loop_run(parent.loop, EDDY_RUN_DEFAULT);
    return eddy_loop_free(parent.loop) == 0 ? parent.status : 1;
}
