/* Bulk pump, after libuv's tcp_pump1_client: one connection, 8 KiB writes with one in
 * flight (the next write is issued from the previous one's callback), to a blackhole
 * reader thread. Prints GB/s (1e9 bytes per second).
 *
 *   pump [MiB, default 4096] */
#include "../common/bench_util.h"
#include "eddy.h"

#define CHUNK 8192

static char chunk[CHUNK];
static uint64_t total, sent;
static double t0, t1;

static void on_written(eddy_socket *s, int status, void *ctx)
{
    (void)ctx;
    if (status < 0) {
        fprintf(stderr, "pump: write: %s\n", eddy_strerror(status));
        exit(1);
    }
    sent += CHUNK;
    if (sent < total)
        eddy_socket_write(s, chunk, CHUNK, on_written, NULL);
    else
        eddy_socket_end(s, NULL, 0);
}

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    t0 = bench_now();
    eddy_socket_write(ev->target, chunk, CHUNK, on_written, NULL);
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    t1 = bench_now();
}

int main(int argc, char **argv)
{
    total = (uint64_t)(argc > 1 ? atoi(argv[1]) : 4096) << 20;
    struct bench_sink sink;
    bench_sink_start(&sink);
    eddy_loop *loop = eddy_loop_new();
    eddy_socket *s = eddy_create_connection(loop, sink.port, "127.0.0.1", on_connect, NULL);
    eddy_on(eddy_emitter_of(s), "close", on_close, NULL);
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    bench_sink_join(&sink);
    eddy_loop_free(loop);
    if (sink.bytes != total) {
        fprintf(stderr, "pump: the sink read %llu of %llu bytes\n", (unsigned long long)sink.bytes,
                (unsigned long long)total);
        return 1;
    }
    printf("pump_gbps %.3f\n", (double)total / (t1 - t0) / 1e9);
    return 0;
}
