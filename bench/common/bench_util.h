/* Helpers shared by the client-side benchmark programs: a clock, a blackhole sink that
 * runs in its own thread (library-neutral, so that every library under test writes to
 * the same reader), and heap accounting. Header-only: each program is one file. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes the allocator has handed out (small blocks plus mmapped ones). */
static inline size_t bench_heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static inline void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* A listening socket on 127.0.0.1, ephemeral port. */
static inline int bench_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        bench_die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0)
        bench_die("bind/listen");
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

struct bench_sink {
    int listen_fd;
    int port;
    pthread_t thread;
    uint64_t bytes; /* read by the sink, valid after bench_sink_join */
};

/* Accepts one connection, reads it to EOF with plain blocking reads, closes it. */
static void *bench_sink_main(void *arg)
{
    struct bench_sink *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        bench_die("sink accept");
    static char buf[256 * 1024];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            s->bytes += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    close(fd);
    return NULL;
}

static inline void bench_sink_start(struct bench_sink *s)
{
    s->bytes = 0;
    s->listen_fd = bench_listen(&s->port);
    if (pthread_create(&s->thread, NULL, bench_sink_main, s) != 0)
        bench_die("pthread_create");
}

static inline void bench_sink_join(struct bench_sink *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

/* The deadline of timer i of n: spread over 1..1000 ms in a scrambled order, so that the
 * heap sees inserts everywhere, not only at its end. */
static inline uint64_t bench_timer_ms(uint64_t i)
{
    return (i * 7919u) % 1000u + 1u;
}

#endif
