/* libuv's benchmark server, in libuv's idiom: uv_listen, a uv_tcp_t per connection,
 * uv_read_start with an alloc callback handing out one static buffer (what tuned libuv
 * servers do instead of a malloc per read), and uv_write with a request that owns a copy
 * of the reply. uv_write writes at once when nothing is queued, so the copy is the only
 * extra work against uv_try_write, and it is what libuv's own echo benchmark server does.
 *
 *   uv_server pong|echo|http PORT [--reuse-port] [--loops N]
 *
 * --loops N: N loops on N threads, each with its own listening socket on the port
 * (SO_REUSEPORT, set by hand: libuv 1.44 has no UV_TCP_REUSEPORT); --reuse-port alone sets
 * the option on the one loop. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../common/protocol.h"

typedef struct {
    uv_tcp_t handle;
    unsigned http_state;
} conn_t;

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
    char bytes[];
} write_t;

static enum bench_mode mode;
/* Per thread: with --loops, every loop reads into its own buffer. */
static _Thread_local char read_buf[64 * 1024];
static char replies[64 * 1024];
static size_t reply_len, replies_cap;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    buf->base = read_buf;
    buf->len = sizeof read_buf;
}

static void on_close(uv_handle_t *h)
{
    free(h);
}

static void on_write(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void write_copy(uv_stream_t *s, const char *bytes, size_t len)
{
    write_t *w = malloc(sizeof *w + len);
    memcpy(w->bytes, bytes, len);
    w->buf = uv_buf_init(w->bytes, (unsigned)len);
    if (uv_write(&w->req, s, &w->buf, 1, on_write) < 0)
        free(w);
}

static void send_replies(uv_stream_t *s, size_t n)
{
    while (n > 0) {
        size_t k = n < replies_cap ? n : replies_cap;
        write_copy(s, replies, k * reply_len);
        n -= k;
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    if (nread < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (nread == 0)
        return;
    conn_t *c = (conn_t *)s;
    switch (mode) {
    case MODE_PONG:
        send_replies(s, count_lines(buf->base, (size_t)nread));
        break;
    case MODE_HTTP:
        send_replies(s, count_requests(buf->base, (size_t)nread, &c->http_state));
        break;
    default:
        write_copy(s, buf->base, (size_t)nread);
        break;
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    conn_t *c = calloc(1, sizeof *c);
    uv_tcp_init(server->loop, &c->handle);
    if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
        uv_close((uv_handle_t *)&c->handle, on_close);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

static int port;
static int reuse_port;

static void *run_loop(void *arg)
{
    uv_loop_t *loop = arg ? arg : uv_default_loop();
    if (arg)
        uv_loop_init(loop);
    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_tcp_init_ex(loop, &server, AF_INET);
    if (reuse_port) {
        uv_os_fd_t fd;
        int one = 1;
        uv_fileno((uv_handle_t *)&server, &fd);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    uv_ip4_addr("127.0.0.1", port, &addr);
    int err = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (!err)
        err = uv_listen((uv_stream_t *)&server, 511, on_connection);
    if (err) {
        fprintf(stderr, "uv_server: listen: %s\n", uv_strerror(err));
        exit(1);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    return NULL;
}

int main(int argc, char **argv)
{
    mode = bench_mode_from(argc > 1 ? argv[1] : NULL);
    if (mode == MODE_BAD || argc < 3) {
        fprintf(stderr, "usage: uv_server pong|echo|http PORT [--reuse-port] [--loops N]\n");
        return 2;
    }
    port = atoi(argv[2]);
    int loops = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--reuse-port") == 0)
            reuse_port = 1;
        else if (strcmp(argv[i], "--loops") == 0 && i + 1 < argc)
            loops = atoi(argv[++i]);
    }
    if (loops > 1)
        reuse_port = 1;
    replies_cap = fill_mode_replies(mode, replies, sizeof replies, &reply_len);
    for (int i = 1; i < loops; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, run_loop, malloc(sizeof(uv_loop_t))) != 0)
            return 1;
    }
    run_loop(NULL);
    return 0;
}
