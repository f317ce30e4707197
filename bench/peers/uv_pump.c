/* libuv's side of the bulk pump (see ../eddy/pump.c): 8 KiB uv_writes, one in flight,
 * to the blackhole reader thread. Prints GB/s.
 *
 *   uv_pump [MiB, default 4096] */
#include <uv.h>

#include "../common/bench_util.h"

#define CHUNK 8192

static char chunk[CHUNK];
static uint64_t total, sent;
static double t0, t1;
static uv_tcp_t tcp;
static uv_connect_t connect_req;
static uv_write_t write_req;
static uv_shutdown_t shutdown_req;
static uv_buf_t buf;

static void on_close(uv_handle_t *h)
{
    (void)h;
    t1 = bench_now();
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    static char rbuf[4096];
    (void)h;
    (void)suggested;
    *b = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    if (nread < 0)
        uv_close((uv_handle_t *)s, on_close);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    uv_read_start(req->handle, on_alloc, on_read); /* wait for the reader's FIN */
}

static void on_written(uv_write_t *req, int status)
{
    if (status < 0) {
        fprintf(stderr, "uv_pump: write: %s\n", uv_strerror(status));
        exit(1);
    }
    sent += CHUNK;
    if (sent < total)
        uv_write(req, req->handle, &buf, 1, on_written);
    else
        uv_shutdown(&shutdown_req, req->handle, on_shutdown);
}

static void on_connect(uv_connect_t *req, int status)
{
    if (status < 0) {
        fprintf(stderr, "uv_pump: connect: %s\n", uv_strerror(status));
        exit(1);
    }
    t0 = bench_now();
    uv_write(&write_req, req->handle, &buf, 1, on_written);
}

int main(int argc, char **argv)
{
    total = (uint64_t)(argc > 1 ? atoi(argv[1]) : 4096) << 20;
    buf = uv_buf_init(chunk, CHUNK);
    struct bench_sink sink;
    bench_sink_start(&sink);
    uv_loop_t *loop = uv_default_loop();
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", sink.port, &addr);
    uv_tcp_init(loop, &tcp);
    uv_tcp_connect(&connect_req, &tcp, (const struct sockaddr *)&addr, on_connect);
    uv_run(loop, UV_RUN_DEFAULT);
    bench_sink_join(&sink);
    if (sink.bytes != total) {
        fprintf(stderr, "uv_pump: the sink read %llu bytes\n", (unsigned long long)sink.bytes);
        return 1;
    }
    printf("pump_gbps %.3f\n", (double)total / (t1 - t0) / 1e9);
    return 0;
}
