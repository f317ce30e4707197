/* libuv's benchmark server, in libuv's idiom: uv_listen, a uv_tcp_t per connection,
 * uv_read_start with an alloc callback handing out one static buffer (what tuned libuv
 * servers do instead of a malloc per read), and uv_write with a request that owns a copy
 * of the reply. uv_write writes at once when nothing is queued, so the copy is the only
 * extra work against uv_try_write, and it is what libuv's own echo benchmark server does.
 *
 *   uv_server pong|echo|http PORT */
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
static uv_loop_t *loop;
static char read_buf[64 * 1024];
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
    uv_tcp_init(loop, &c->handle);
    if (uv_accept(server, (uv_stream_t *)&c->handle) < 0) {
        uv_close((uv_handle_t *)&c->handle, on_close);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

int main(int argc, char **argv)
{
    mode = bench_mode_from(argc > 1 ? argv[1] : NULL);
    if (mode == MODE_BAD || argc < 3) {
        fprintf(stderr, "usage: uv_server pong|echo|http PORT\n");
        return 2;
    }
    replies_cap = fill_mode_replies(mode, replies, sizeof replies, &reply_len);
    loop = uv_default_loop();
    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", atoi(argv[2]), &addr);
    int err = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (!err)
        err = uv_listen((uv_stream_t *)&server, 511, on_connection);
    if (err) {
        fprintf(stderr, "uv_server: listen: %s\n", uv_strerror(err));
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
