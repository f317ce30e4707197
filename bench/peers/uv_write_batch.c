/* libuv's tcp_write_batch (see ../eddy/write_batch.c): 13-byte uv_writes issued back to
 * back, each with its own request (libuv needs one per write; they are allocated before
 * the clock starts, as in libuv's benchmark), then uv_shutdown; timed until closed.
 *
 *   uv_write_batch [writes, default 1000000] */
#include <uv.h>

#include "../common/bench_util.h"

static long writes;
static double t0, t1;
static uv_tcp_t tcp;
static uv_connect_t connect_req;
static uv_shutdown_t shutdown_req;
static uv_write_t *reqs;
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
    uv_read_start(req->handle, on_alloc, on_read);
}

static void on_connect(uv_connect_t *req, int status)
{
    if (status < 0) {
        fprintf(stderr, "uv_write_batch: connect: %s\n", uv_strerror(status));
        exit(1);
    }
    t0 = bench_now();
    for (long i = 0; i < writes; i++)
        uv_write(&reqs[i], req->handle, &buf, 1, NULL);
    uv_shutdown(&shutdown_req, req->handle, on_shutdown);
}

int main(int argc, char **argv)
{
    writes = argc > 1 ? atol(argv[1]) : 1000000;
    reqs = calloc((size_t)writes, sizeof *reqs);
    buf = uv_buf_init((char *)"Hello, world.", 13);
    struct bench_sink sink;
    bench_sink_start(&sink);
    uv_loop_t *loop = uv_default_loop();
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", sink.port, &addr);
    uv_tcp_init(loop, &tcp);
    uv_tcp_connect(&connect_req, &tcp, (const struct sockaddr *)&addr, on_connect);
    uv_run(loop, UV_RUN_DEFAULT);
    bench_sink_join(&sink);
    if (sink.bytes != (uint64_t)writes * 13) {
        fprintf(stderr, "uv_write_batch: the sink read %llu bytes\n",
                (unsigned long long)sink.bytes);
        return 1;
    }
    printf("write_batch_s %.4f\n", t1 - t0);
    free(reqs);
    return 0;
}
