/* UNIX sockets (listen_path, connect_path, descriptors passed with write_fd), servers on
 * an fd that is already bound (listen_fd), and how writes leave: the first write of an
 * iteration at once, later ones held and sent together. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "eddy.h"
#include "helpers.h"

struct unix_echo {
    eddy_loop *loop;
    eddy_server *server;
    char dir[64], path[128];
    char got[64];
    size_t got_len;
    int fd_received;
    char fd_content[16];
    bool listening;
};

static void make_path(struct unix_echo *u)
{
    snprintf(u->dir, sizeof u->dir, "/tmp/eddy-unix-XXXXXX");
    cr_assert_not_null(mkdtemp(u->dir));
    snprintf(u->path, sizeof u->path, "%s/sock", u->dir);
}

static void echo_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, ev->u.data.bytes, ev->u.data.len, NULL, NULL);
}

static void close_server_on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct unix_echo *)ctx)->server, NULL, NULL);
}

static void on_unix_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", echo_data, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server_on_close, ctx);
}

static void client_collect(const eddy_event *ev, void *ctx)
{
    struct unix_echo *u = ctx;
    cr_assert_leq(u->got_len + ev->u.data.len, sizeof u->got);
    memcpy(u->got + u->got_len, ev->u.data.bytes, ev->u.data.len);
    u->got_len += ev->u.data.len;
    if (u->got_len == 5)
        eddy_socket_end(ev->target, NULL, 0);
}

static void client_send(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, "hello", 5, NULL, NULL);
}

static void note_listening(const eddy_event *ev, void *ctx)
{
    (void)ev;
    ((struct unix_echo *)ctx)->listening = true;
}

Test(unix, listen_path_and_connect_path_echo_and_the_path_is_removed_on_close)
{
    struct unix_echo u = {0};
    make_path(&u);
    u.loop = eddy_loop_new();
    u.server = eddy_create_server(u.loop, NULL, on_unix_connection, &u);
    cr_assert_eq(eddy_server_listen_path(u.server, u.path, note_listening, &u), 0);
    eddy_address a;
    cr_assert_eq(eddy_server_address(u.server, &a), 0);
    cr_assert_str_eq(a.family, "unix");
    cr_assert_str_eq(a.address, u.path);
    eddy_socket *c = eddy_create_connection_path(u.loop, u.path, client_send, &u);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "data", client_collect, &u);
    cr_assert(run_loop_for(u.loop, 10000));
    cr_assert(u.listening);
    cr_assert_eq(u.got_len, 5);
    cr_assert_arr_eq(u.got, "hello", 5);
    cr_assert_neq(access(u.path, F_OK), 0, "the socket file is unlinked when the server closes");
    cr_assert_eq(eddy_loop_free(u.loop), 0);
    rmdir(u.dir);
}

struct refused {
    int code;
    const char *syscall;
    bool closed_with_error;
};

static void note_error(const eddy_event *ev, void *ctx)
{
    struct refused *r = ctx;
    r->code = ev->u.error.code;
    r->syscall = ev->u.error.syscall;
}

static void note_close(const eddy_event *ev, void *ctx)
{
    ((struct refused *)ctx)->closed_with_error = ev->u.had_error;
}

Test(unix, connect_path_to_a_missing_path_is_an_error_event_then_close)
{
    eddy_loop *loop = eddy_loop_new();
    struct refused r = {0};
    eddy_socket *c = eddy_create_connection_path(loop, "/tmp/eddy-no-such-dir/sock", NULL, NULL);
    cr_assert_not_null(c);
    eddy_on(eddy_emitter_of(c), "error", note_error, &r);
    eddy_on(eddy_emitter_of(c), "close", note_close, &r);
    cr_assert_eq(r.code, 0, "the error comes from the loop, not from the call");
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(r.code, -ENOENT);
    cr_assert_str_eq(r.syscall, "connect");
    cr_assert(r.closed_with_error);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

static void receive_fd(const eddy_event *ev, void *ctx)
{
    struct unix_echo *u = ctx;
    u->fd_received = ev->u.fd;
    ssize_t n = pread(ev->u.fd, u->fd_content, sizeof u->fd_content - 1, 0);
    cr_assert_gt(n, 0);
    close(ev->u.fd);
}

static void on_fd_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "fd", receive_fd, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", close_server_on_close, ctx);
}

static void send_fd_and_end(const eddy_event *ev, void *ctx)
{
    int fd = *(int *)ctx;
    cr_assert(eddy_socket_write_fd(ev->target, "x", 1, fd, NULL, NULL));
    eddy_socket_end(ev->target, NULL, 0);
}

Test(unix, write_fd_passes_a_descriptor_that_arrives_as_an_fd_event)
{
    struct unix_echo u = {0};
    make_path(&u);
    char file[160];
    snprintf(file, sizeof file, "%s/payload", u.dir);
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "secret", 6), 6);
    u.fd_received = -1;
    u.loop = eddy_loop_new();
    u.server = eddy_create_server(u.loop, NULL, on_fd_connection, &u);
    cr_assert_eq(eddy_server_listen_path(u.server, u.path, NULL, NULL), 0);
    eddy_socket *c = eddy_create_connection_path(u.loop, u.path, send_fd_and_end, &fd);
    cr_assert_not_null(c);
    cr_assert(run_loop_for(u.loop, 10000));
    cr_assert_geq(u.fd_received, 0, "an 'fd' event arrived");
    cr_assert_neq(u.fd_received, fd, "a new descriptor for the same file");
    cr_assert_str_eq(u.fd_content, "secret");
    cr_assert_eq(eddy_loop_free(u.loop), 0);
    close(fd);
    unlink(file);
    rmdir(u.dir);
}

Test(unix, write_fd_on_a_tcp_socket_is_an_error)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_socket_new(loop, NULL);
    struct refused r = {0};
    eddy_on(eddy_emitter_of(s), "error", note_error, &r);
    cr_assert_not(eddy_socket_write_fd(s, "x", 1, 0, NULL, NULL));
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(r.code, -EINVAL);
    cr_assert_eq(eddy_loop_free(loop), 0);
}

/* ---- listen_fd ---- */

static void close_on_listening(const eddy_event *ev, void *ctx)
{
    eddy_address *a = ctx;
    cr_assert_eq(eddy_server_address(ev->target, a), 0);
    eddy_server_close(ev->target, NULL, NULL);
}

Test(server_fd, listen_fd_accepts_on_a_socket_bound_by_the_caller)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    eddy_address a = {0};
    cr_assert_eq(eddy_server_listen_fd(s, fd, close_on_listening, &a), 0);
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(a.port, ntohs(sin.sin_port));
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_eq(fcntl(fd, F_GETFD), -1, "the server owned the fd and closed it");
}

/* node: net.createServer().listen({fd: 0}) with a pipe on fd 0 -> 'error' ENOTSOCK,
 * syscall 'listen', from the loop; a regular file -> EINVAL. The fd stays the caller's. */
static void record_error_code(const eddy_event *ev, void *ctx)
{
    *(int *)ctx = ev->u.error.code;
    cr_assert_str_eq(ev->u.error.syscall, "listen");
}

Test(server_fd, listen_fd_on_what_is_not_a_stream_socket_is_a_listen_error_event)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_server *s = eddy_create_server(loop, NULL, NULL, NULL);
    int code = 0;
    eddy_on(eddy_emitter_of(s), "error", record_error_code, &code);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(eddy_server_listen_fd(s, -1, NULL, NULL), -EINVAL, "an argument error");
    cr_assert_eq(eddy_server_listen_fd(s, p[0], NULL, NULL), 0);
    cr_assert_eq(code, 0, "never from inside the call");
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(code, -ENOTSOCK, "%s", eddy_err_name(code));
    int file = open("/etc/hosts", O_RDONLY | O_CLOEXEC);
    cr_assert_geq(file, 0);
    cr_assert_eq(eddy_server_listen_fd(s, file, NULL, NULL), 0);
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(code, -EINVAL, "%s", eddy_err_name(code));
    eddy_server_close(s, NULL, NULL);
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(eddy_loop_free(loop), 0);
    cr_assert_neq(fcntl(p[0], F_GETFD), -1, "the fd is still the caller's");
    close(file);
    close(p[0]);
    close(p[1]);
}

/* ---- how writes leave ---- */

struct burst {
    eddy_loop *loop;
    eddy_server *server;
    uint64_t written_after_first, written_after_all, written_later;
    size_t queued_after_first;
    size_t queued_after_all;
    size_t received;
};

static void burst_on_connect(const eddy_event *ev, void *ctx)
{
    struct burst *b = ctx;
    eddy_socket *s = ev->target;
    eddy_socket_write(s, "0123456789", 10, NULL, NULL);
    b->written_after_first = eddy_socket_bytes_written(s);
    b->queued_after_first = eddy_socket_buffer_size(s);
    for (int i = 0; i < 99; i++)
        eddy_socket_write(s, "0123456789", 10, NULL, NULL);
    b->written_after_all = eddy_socket_bytes_written(s);
    b->queued_after_all = eddy_socket_buffer_size(s);
    eddy_socket_end(s, NULL, 0);
}

static void burst_close(const eddy_event *ev, void *ctx)
{
    ((struct burst *)ctx)->written_later = eddy_socket_bytes_written(ev->target);
}

static void burst_count(const eddy_event *ev, void *ctx)
{
    ((struct burst *)ctx)->received += ev->u.data.len;
}

static void burst_server_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    eddy_server_close(((struct burst *)ctx)->server, NULL, NULL);
}

static void burst_connection(const eddy_event *ev, void *ctx)
{
    eddy_on(eddy_emitter_of(ev->u.socket), "data", burst_count, ctx);
    eddy_on(eddy_emitter_of(ev->u.socket), "close", burst_server_close, ctx);
}

Test(writes, first_write_goes_out_at_once_and_the_rest_of_the_callback_leaves_together)
{
    struct burst b = {0};
    b.loop = eddy_loop_new();
    b.server = eddy_create_server(b.loop, NULL, burst_connection, &b);
    eddy_server_listen(b.server, 0, "127.0.0.1", NULL, NULL);
    eddy_loop_run(b.loop, EDDY_RUN_NOWAIT);
    eddy_address a;
    cr_assert_eq(eddy_server_address(b.server, &a), 0);
    eddy_socket *c = eddy_create_connection(b.loop, a.port, "127.0.0.1", burst_on_connect, &b);
    eddy_on(eddy_emitter_of(c), "close", burst_close, &b);
    cr_assert(run_loop_for(b.loop, 10000));
    cr_assert_eq(b.written_after_first, 10);
    cr_assert_eq(b.queued_after_first, 0, "the first write went to the kernel at once");
    cr_assert_eq(b.written_after_all, 1000, "bytes_written counts what write accepted (Node)");
    cr_assert_eq(b.queued_after_all, 990, "the next 99 were held during the callback");
    cr_assert_eq(b.written_later, 1000);
    cr_assert_eq(b.received, 1000);
    cr_assert_eq(eddy_loop_free(b.loop), 0);
}

static void burst_big(const eddy_event *ev, void *ctx)
{
    struct burst *b = ctx;
    eddy_socket *s = ev->target;
    static char chunk[1000];
    eddy_socket_write(s, chunk, sizeof chunk, NULL, NULL);
    /* held writes reaching the 16 KiB mark are sent at once, inside this callback */
    for (int i = 0; i < 40; i++)
        eddy_socket_write(s, chunk, sizeof chunk, NULL, NULL);
    b->written_after_all = eddy_socket_bytes_written(s);
    eddy_socket_end(s, NULL, 0);
}

Test(writes, held_writes_are_sent_as_soon_as_they_reach_the_high_water_mark)
{
    struct burst b = {0};
    b.loop = eddy_loop_new();
    b.server = eddy_create_server(b.loop, NULL, burst_connection, &b);
    eddy_server_listen(b.server, 0, "127.0.0.1", NULL, NULL);
    eddy_loop_run(b.loop, EDDY_RUN_NOWAIT);
    eddy_address a;
    cr_assert_eq(eddy_server_address(b.server, &a), 0);
    eddy_create_connection(b.loop, a.port, "127.0.0.1", burst_big, &b);
    cr_assert(run_loop_for(b.loop, 10000));
    cr_assert_gt(b.written_after_all, 1000, "held bytes left once they reached 16 KiB (%llu)",
                 (unsigned long long)b.written_after_all);
    cr_assert_eq(b.received, 41000);
    cr_assert_eq(eddy_loop_free(b.loop), 0);
}

/* ---- reuse_port ---- */

struct two {
    int listening, errors;
    int error_code;
};

static void two_listening(const eddy_event *ev, void *ctx)
{
    ((struct two *)ctx)->listening++;
    eddy_server_close(ev->target, NULL, NULL);
}

static void two_error(const eddy_event *ev, void *ctx)
{
    struct two *t = ctx;
    t->errors++;
    t->error_code = ev->u.error.code;
    eddy_server_close(ev->target, NULL, NULL);
}

static void listen_two(bool reuse_port, struct two *t)
{
    eddy_loop *loop = eddy_loop_new();
    eddy_server_options opts = {.reuse_port = reuse_port};
    eddy_server *a = eddy_create_server(loop, &opts, NULL, NULL);
    eddy_server *b = eddy_create_server(loop, &opts, NULL, NULL);
    eddy_on(eddy_emitter_of(a), "error", two_error, t);
    eddy_on(eddy_emitter_of(b), "error", two_error, t);
    cr_assert_eq(eddy_server_listen(a, 0, "127.0.0.1", NULL, NULL), 0);
    eddy_address addr;
    cr_assert_eq(eddy_server_address(a, &addr), 0);
    cr_assert_eq(eddy_server_listen(b, addr.port, "127.0.0.1", NULL, NULL), 0);
    eddy_once(eddy_emitter_of(a), "listening", two_listening, t);
    eddy_once(eddy_emitter_of(b), "listening", two_listening, t);
    cr_assert(run_loop_for(loop, 10000));
    cr_assert_eq(eddy_loop_free(loop), 0);
}

Test(server_options, reuse_port_lets_two_servers_listen_on_one_port)
{
    struct two t = {0};
    listen_two(true, &t);
    cr_assert_eq(t.listening, 2);
    cr_assert_eq(t.errors, 0);
}

Test(server_options, without_reuse_port_the_second_server_gets_eaddrinuse)
{
    struct two t = {0};
    listen_two(false, &t);
    cr_assert_eq(t.listening, 1);
    cr_assert_eq(t.errors, 1);
    cr_assert_eq(t.error_code, -EADDRINUSE);
}
