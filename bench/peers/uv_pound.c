/* libuv's pound (see ../eddy/pound.c), against libuv's echo server (uv_server echo):
 * CONC connections at a time, each connects, writes "QS", waits for the echo, closes.
 *
 *   uv_pound PORT [total, default 20000] [concurrency, default 100] */
#include <uv.h>

#include "../common/bench_util.h"

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
} conn_t;

static uv_loop_t *loop;
static struct sockaddr_in addr;
static long total, started, completed, failed;
static uv_buf_t qs;

static void start_one(void);

static void on_close(uv_handle_t *h)
{
    free(h);
    completed++;
    if (started < total)
        start_one();
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    static char rbuf[64 * 1024];
    (void)h;
    (void)suggested;
    *b = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    (void)b;
    if (nread == 0)
        return;
    if (nread < 0)
        failed++;
    uv_close((uv_handle_t *)s, on_close);
}

static void on_connect(uv_connect_t *req, int status)
{
    conn_t *c = req->data;
    if (status < 0) {
        failed++;
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &qs, 1, NULL);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void start_one(void)
{
    started++;
    conn_t *c = malloc(sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    c->connect_req.data = c;
    if (uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&addr, on_connect)) {
        fprintf(stderr, "uv_pound: cannot connect\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: uv_pound PORT [total] [concurrency]\n");
        return 2;
    }
    total = argc > 2 ? atol(argv[2]) : 20000;
    long conc = argc > 3 ? atol(argv[3]) : 100;
    qs = uv_buf_init((char *)"QS", 2);
    loop = uv_default_loop();
    uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
    double t0 = bench_now();
    for (long i = 0; i < conc && started < total; i++)
        start_one();
    uv_run(loop, UV_RUN_DEFAULT);
    double t1 = bench_now();
    if (failed > total / 100) {
        fprintf(stderr, "uv_pound: %ld of %ld connections failed\n", failed, total);
        return 1;
    }
    printf("pound_conns_per_s %.0f\n", (double)(completed - failed) / (t1 - t0));
    return 0;
}
