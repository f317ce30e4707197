/* Accept churn, after libuv's pound: CONC connections at a time, each connects, writes
 * "QS", waits for the echo and closes; a new one starts when one closes, until TOTAL
 * connections completed. Run against eddy's echo server (server echo PORT). Prints
 * connections per second.
 *
 *   pound PORT [total, default 20000] [concurrency, default 100] */
#include "../common/bench_util.h"
#include "eddy.h"

static eddy_loop *loop;
static int port;
static long total, started, completed, failed;

static void start_one(void);

static void on_connect(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_write(ev->target, "QS", 2, NULL, NULL);
}

static void on_data(const eddy_event *ev, void *ctx)
{
    (void)ctx;
    eddy_socket_destroy(ev->target);
}

static void on_error(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    failed++;
}

static void on_close(const eddy_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    completed++;
    if (started < total)
        start_one();
}

static void start_one(void)
{
    started++;
    eddy_socket *s = eddy_create_connection(loop, port, "127.0.0.1", on_connect, NULL);
    if (!s) {
        fprintf(stderr, "pound: cannot create a connection\n");
        exit(1);
    }
    eddy_emitter *e = eddy_emitter_of(s);
    eddy_on(e, "data", on_data, NULL);
    eddy_on(e, "error", on_error, NULL);
    eddy_on(e, "close", on_close, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pound PORT [total] [concurrency]\n");
        return 2;
    }
    port = atoi(argv[1]);
    total = argc > 2 ? atol(argv[2]) : 20000;
    long conc = argc > 3 ? atol(argv[3]) : 100;
    loop = eddy_loop_new();
    double t0 = bench_now();
    for (long i = 0; i < conc && started < total; i++)
        start_one();
    eddy_loop_run(loop, EDDY_RUN_DEFAULT);
    double t1 = bench_now();
    eddy_loop_free(loop);
    if (failed > total / 100) {
        fprintf(stderr, "pound: %ld of %ld connections failed\n", failed, total);
        return 1;
    }
    printf("pound_conns_per_s %.0f\n", (double)(completed - failed) / (t1 - t0));
    return 0;
}
