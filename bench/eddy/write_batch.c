/* Many small writes, after libuv's tcp_write_batch: 13-byte writes issued back to back on
 * one connection (no callbacks), then end; timed until the connection closed (the
 * blackhole reader thread got everything). Prints seconds.
 *
 *   write_batch [writes, default 1000000] */
#include "../common/bench_util.h"
#include "eddy.h"

static long writes;
static double t0, t1;

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket *s = ev->target;
    t0 = bench_now();
    for (long i = 0; i < writes; i++)
        eddy_socket_write(s, "Hello, world.", 13, NULL, NULL);
    eddy_socket_end(s, NULL, 0);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    t1 = bench_now();
}

int main(int argc, char **argv)
{
    writes = argc > 1 ? atol(argv[1]) : 1000000;
    struct bench_sink sink;
    bench_sink_start(&sink);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_create_connection(loop, sink.port, "127.0.0.1", on_connect, NULL);
    eddy_on(eddy_emitter_of(s), "close", on_close, NULL);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    bench_sink_join(&sink);
    eddy_loop_free(loop);
    if (sink.bytes != (uint64_t)writes * 13) {
        fprintf(stderr, "write_batch: the sink read %llu bytes\n", (unsigned long long)sink.bytes);
        return 1;
    }
    printf("write_batch_s %.4f\n", t1 - t0);
    return 0;
}
