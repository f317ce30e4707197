/* CONNS connections to a PONG server, each with one PING_INLINE request in flight (lockstep
 * per connection, like redis-benchmark -c CONNS), for the server's CPU per request as the
 * number of connections grows (50, 1,000, 10,000). Library-neutral: one epoll loop,
 * level-triggered, a reply of 7 bytes answered by the next request on that connection.
 * The connections are opened (and each answered once) before any window, so the windows
 * measure requests only.
 *
 * Protocol with the harness: the connections, then "ready CONNS" on stdout; then each line
 * "N" on stdin runs N requests spread over every connection and answers "done N SECONDS";
 * stdin EOF closes everything.
 *
 *   load_client PORT CONNS */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "bench_util.h"

static const char request[] = "PING\r\n";
enum { REQUEST_LEN = sizeof request - 1, REPLY_LEN = 7 };

static unsigned char *got; /* reply bytes received so far, per fd (0..REPLY_LEN-1) */

static int connect_one(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        bench_die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        bench_die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* One blocking round trip: the server has accepted this connection before the next
     * connect, so the listen backlog never overflows (a dropped SYN costs a second). */
    char buf[REPLY_LEN];
    size_t have = 0;
    if (write(fd, request, REQUEST_LEN) != REQUEST_LEN)
        bench_die("write");
    while (have < REPLY_LEN) {
        ssize_t n = read(fd, buf + have, REPLY_LEN - have);
        if (n <= 0)
            bench_die("read");
        have += (size_t)n;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void send_request(int fd)
{
    if (write(fd, request, REQUEST_LEN) != REQUEST_LEN)
        bench_die("write"); /* 6 bytes into an empty socket buffer: always taken */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: load_client PORT CONNS\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long conns = atol(argv[2]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)conns + 16 > rl.rlim_cur) {
        fprintf(stderr, "load_client: %ld connections need more descriptors (limit %lu)\n", conns,
                (unsigned long)rl.rlim_cur);
        return 2;
    }
    got = calloc(rl.rlim_cur, 1);
    int *fds = calloc((size_t)conns, sizeof *fds);
    int ep = epoll_create1(0);
    if (!got || !fds || ep < 0)
        bench_die("setup");
    for (long i = 0; i < conns; i++) {
        fds[i] = connect_one(port);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
            bench_die("epoll_ctl");
    }
    printf("ready %ld\n", conns);
    fflush(stdout);

    static struct epoll_event events[1024];
    static char buf[4096];
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        long n = atol(line), sent = 0, done = 0;
        double t0 = bench_now();
        for (long i = 0; i < conns && sent < n; i++, sent++)
            send_request(fds[i]);
        while (done < n) {
            int k = epoll_wait(ep, events, 1024, 10000);
            if (k <= 0) {
                if (k < 0 && errno == EINTR)
                    continue;
                fprintf(stderr, "load_client: stalled at %ld of %ld replies\n", done, n);
                return 1;
            }
            for (int j = 0; j < k; j++) {
                int fd = events[j].data.fd;
                ssize_t r = read(fd, buf, sizeof buf);
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN)
                        continue;
                    bench_die(r == 0 ? "read: the server closed" : "read");
                }
                size_t total = got[fd] + (size_t)r;
                long replies = (long)(total / REPLY_LEN);
                got[fd] = (unsigned char)(total % REPLY_LEN);
                for (long q = 0; q < replies; q++) {
                    done++;
                    if (sent < n) {
                        send_request(fd);
                        sent++;
                    }
                }
            }
        }
        printf("done %ld %.6f\n", n, bench_now() - t0);
        fflush(stdout);
    }
    for (long i = 0; i < conns; i++)
        close(fds[i]);
    return 0;
}
