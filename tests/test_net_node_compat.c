/* Behaviours where eddy follows what node v20 does (each checked with node):
 *   s = net.connect(port); s.write('fifteen bytes!!'); s.bytesWritten   -> 15
 *   then in 'connect': s.end(Buffer.alloc(10e6)); s.bytesWritten         -> 10000015
 *   s = net.connect(port); s.remoteAddress                               -> undefined
 *   in 'connect': s.remoteAddress                                        -> '127.0.0.1'
 *   in 'close': setNoDelay, setKeepAlive, setTimeout, pause, resume      -> no throw
 *   s.setKeepAlive(true, 1999)                                           -> TCP_KEEPIDLE 1 s
 *   s.setKeepAlive(true, 500)                                            -> system default */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"
#include "net_helpers.h"

enum { BIG = 10 * 1000 * 1000 };

struct counted {
    eddy_loop *loop;
    eddy_server *server;
    uint64_t written_at_once, written_after_end;
    int remote_while_connecting, remote_in_connect;
    char remote[108];
};

static void ignore_data(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
}

static void conn_closed(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(ctx, NULL, NULL);
}

static void on_connection(const eddy_event *ev, void *ctx)
{
    struct counted *c = ctx;
    eddy_on(eddy_emitter_of(ev->u.socket), "data", ignore_data, NULL);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", conn_closed, c->server);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    struct counted *c = ctx;
    eddy_address a;
    c->remote_in_connect = eddy_socket_remote_address(ev->target, &a);
    memcpy(c->remote, a.address, sizeof c->remote);
    unsigned char *big = calloc(1, BIG);
    cr_assert_eq(eddy_socket_end(ev->target, big, BIG), 0);
    c->written_after_end = eddy_socket_bytes_written(ev->target);
    free(big);
}

static void on_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    struct counted *c = ctx;
    eddy_socket *s =
        eddy_create_connection(c->loop, server_port(c->server), "127.0.0.1", on_connect, c);
    cr_assert_not_null(s);
    eddy_socket_write(s, "fifteen bytes!!", 15, NULL, NULL);
    c->written_at_once = eddy_socket_bytes_written(s);
    eddy_address a;
    c->remote_while_connecting = eddy_socket_remote_address(s, &a);
}

Test(node_compat,
     bytes_written_counts_what_write_and_end_accepted_and_remote_address_waits_for_connect)
{
    int fds_before = open_fd_count();
    struct counted c = {0};
    c.loop = eddy_loop_new();
    c.server = eddy_create_server(c.loop, NULL, on_connection, &c);
    cr_assert_eq(eddy_server_listen(c.server, 0, "127.0.0.1", on_listening, &c), 0);
    cr_assert(loop_ends_by_itself(c.loop, 30000));
    cr_assert_eq(c.written_at_once, 15, "Node: 15 right after a write made while connecting");
    cr_assert_eq(c.written_after_end, 15 + (uint64_t)BIG, "Node: counted at end(), not when sent");
    cr_assert_eq(c.remote_while_connecting, -ENOTCONN, "Node: undefined while connecting");
    cr_assert_eq(c.remote_in_connect, 0);
    cr_assert_str_eq(c.remote, "127.0.0.1");
    assert_all_released(c.loop, fds_before);
}

/* ---- calls on a closed socket ---- */

static void calls_in_close(const eddy_event *ev, void *ctx)
{
    int *rcs = ctx;
    eddy_socket *s = ev->target;
    rcs[0] = eddy_socket_set_no_delay(s, true);
    rcs[1] = eddy_socket_set_keep_alive(s, true, 1000);
    rcs[2] = eddy_socket_set_timeout(s, 100, NULL, NULL);
    eddy_socket_pause(s);
    eddy_socket_resume(s);
    rcs[3] = 0;
}

Test(node_compat, option_calls_on_a_closed_socket_are_harmless_and_return_0)
{
    int fds_before = open_fd_count();
    int p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = p[0]};
    eddy_socket *s = eddy_socket_new(loop, &o);
    int rcs[4] = {1, 1, 1, 1};
    eddy_on(eddy_emitter_of(s), "close", calls_in_close, rcs);
    eddy_socket_destroy(s);
    cr_assert_eq(eddy_socket_set_no_delay(s, false), 0, "destroyed, not yet closed");
    cr_assert_eq(eddy_socket_set_keep_alive(s, false, 0), 0);
    cr_assert(loop_ends_by_itself(loop, 5000));
    for (int i = 0; i < 4; i++)
        cr_assert_eq(rcs[i], 0, "call %d", i);
    close(p[1]);
    assert_all_released(loop, fds_before);
}

/* ---- keep-alive delay: whole seconds, truncated ---- */

static int keepidle(int fd)
{
    int v = -1;
    socklen_t len = sizeof v;
    cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), 0);
    return v;
}

/* A plain listening TCP socket on 127.0.0.1 and an ephemeral port, its address in *a. */
static int loopback_listener(struct sockaddr_in *a)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(l, (struct sockaddr *)a, sizeof *a), 0);
    cr_assert_eq(listen(l, 4), 0);
    socklen_t alen = sizeof *a;
    cr_assert_eq(getsockname(l, (struct sockaddr *)a, &alen), 0);
    return l;
}

Test(node_compat, keep_alive_initial_delay_is_truncated_to_whole_seconds)
{
    int fds_before = open_fd_count();
    struct sockaddr_in a;
    int l = loopback_listener(&a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int system_default = keepidle(fd);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = fd};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 500), 0);
    cr_assert_eq(keepidle(fd), system_default, "under a second: the system's default");
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 1999), 0);
    cr_assert_eq(keepidle(fd), 1, "1999 ms is 1 s, as Node truncates");
    cr_assert_eq(eddy_socket_set_keep_alive(s, true, 3000), 0);
    cr_assert_eq(keepidle(fd), 3);
    /* libuv (so Node v20) also sets a probe a second and ten probes */
    int v = -1;
    socklen_t vlen = sizeof v;
    cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vlen), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &vlen), 0);
    cr_assert_eq(v, 10);
    int on = 0;
    socklen_t len = sizeof on;
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &len);
    cr_assert(on);
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    close(l);
    assert_all_released(loop, fds_before);
}

/* Node: new net.Socket({fd}) of a connected TCP socket has the peer's remoteAddress,
 * remotePort and remoteFamily at once (v20 prints "127.0.0.1 <server port> IPv4"). */
Test(node_compat, a_wrapped_connected_tcp_fd_knows_its_peer)
{
    int fds_before = open_fd_count();
    struct sockaddr_in a;
    int l = loopback_listener(&a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = fd};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    eddy_address peer;
    cr_assert_eq(eddy_socket_remote_address(s, &peer), 0);
    cr_assert_str_eq(peer.address, "127.0.0.1");
    cr_assert_str_eq(peer.family, "IPv4");
    cr_assert_eq(peer.port, ntohs(a.sin_port), "the listening socket's port");
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    close(l);
    assert_all_released(loop, fds_before);
}

/* A socket wrapped before it is connected has no peer yet (Node: undefined). */
Test(node_compat, a_wrapped_unconnected_tcp_fd_has_no_peer)
{
    int fds_before = open_fd_count();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = fd};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    eddy_address peer;
    cr_assert_eq(eddy_socket_remote_address(s, &peer), -ENOTCONN);
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    assert_all_released(loop, fds_before);
}

/* ---- wrapping an fd (node: new net.Socket({fd}) reads a pipe) ---- */

static void pipe_data(const eddy_event *ev, void *ctx)
{
    char *got = ctx;
    strncat(got, ev->u.data.bytes, ev->u.data.len);
}

Test(node_compat, zeroed_socket_options_are_the_defaults_and_never_take_stdin)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options zero = {0};
    eddy_socket *s = eddy_socket_new(loop, &zero);
    cr_assert_not_null(s);
    cr_assert_eq(eddy_socket_fd(s), -EBADF, "fd 0 alone is no fd");
    cr_assert(eddy_socket_pending(s));
    eddy_socket_destroy(s);
    cr_assert(loop_ends_by_itself(loop, 5000));
    assert_all_released(loop, fds_before);
}

Test(node_compat, a_pipe_on_fd_0_is_read_with_use_fd)
{
    int fds_before = open_fd_count();
    int saved = dup(0);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(dup2(p[0], 0), 0);
    close(p[0]);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = 0, .use_fd = true};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    char got[64] = "";
    eddy_on(eddy_emitter_of(s), "data", pipe_data, got);
    cr_assert_eq(write(p[1], "from a pipe", 11), 11);
    close(p[1]); /* EOF: 'end', then the socket closes (allow_half_open false) */
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_str_eq(got, "from a pipe");
    cr_assert_eq(eddy_loop_free(loop), 0);
    dup2(saved, 0); /* the socket closed fd 0 */
    close(saved);
    cr_assert_eq(open_fd_count(), fds_before);
}

struct pipe_write {
    int status;
    int errors, code;
};

static void pipe_write_cb(eddy_socket *s, int status, void *ctx)
{
    (void)s;
    ((struct pipe_write *)ctx)->status = status;
}

static void pipe_error(const eddy_event *ev, void *ctx)
{
    struct pipe_write *w = ctx;
    w->errors++;
    w->code = ev->u.error.code;
}

Test(node_compat, writing_a_pipe_whose_reader_is_gone_is_epipe_never_sigpipe)
{
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test */
    int fds_before = open_fd_count();
    int p[2];
    cr_assert_eq(pipe(p), 0);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket_options o = {.fd = p[1]};
    eddy_socket *s = eddy_socket_new(loop, &o);
    cr_assert_not_null(s);
    struct pipe_write w = {.status = 1};
    eddy_on(eddy_emitter_of(s), "error", pipe_error, &w);
    cr_assert(eddy_socket_write(s, "first", 5, NULL, NULL));
    char buf[8];
    cr_assert_eq(read(p[0], buf, sizeof buf), 5, "a pipe is written with write(2)");
    close(p[0]);
    eddy_socket_write(s, "second", 6, pipe_write_cb, &w);
    cr_assert(loop_ends_by_itself(loop, 5000));
    cr_assert_eq(w.status, -EPIPE);
    cr_assert_eq(w.errors, 1);
    cr_assert_eq(w.code, -EPIPE);
    sigset_t pending;
    sigpending(&pending);
    cr_assert_not(sigismember(&pending, SIGPIPE), "no SIGPIPE left pending");
    assert_all_released(loop, fds_before);
}

Test(node_compat, what_cannot_be_a_stream_is_refused)
{
    int fds_before = open_fd_count();
    eddy_loop *loop = eddy_loop_new();
    int file = open("/etc/hosts", O_RDONLY | O_CLOEXEC);
    int dgram = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    eddy_socket_options o = {.fd = file};
    cr_assert_null(eddy_socket_new(loop, &o), "a regular file");
    o.fd = dgram;
    cr_assert_null(eddy_socket_new(loop, &o), "a datagram socket");
    close(file);
    close(dgram);
    o.fd = 1000; /* closed */
    cr_assert_null(eddy_socket_new(loop, &o));
    assert_all_released(loop, fds_before);
}
